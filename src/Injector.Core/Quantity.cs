using System.Globalization;
using System.Text.RegularExpressions;

namespace Injector.Core;

/// <summary>A parsed Kubernetes resource quantity such as <c>10m</c>, <c>32Mi</c> or <c>1.5</c>. See
/// <see href="https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/">Quantity</see>.</summary>
public readonly partial record struct Quantity(string Text, decimal Value)
{
    [GeneratedRegex(@"^(?<num>[+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public const string ExpectedFormat = "a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi";

    /// <summary>Parses a quantity; returns false for anything the API server would reject.</summary>
    public static bool TryParse(string? text, out Quantity quantity)
    {
        quantity = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64) return false;
        var match = Pattern().Match(text);
        if (!match.Success) return false;
        if (!decimal.TryParse(match.Groups["num"].Value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign,
                CultureInfo.InvariantCulture, out var number)) return false;
        var suffix = match.Groups["suffix"].Value;
        decimal multiplier;
        try
        {
            multiplier = suffix switch
            {
                "" => 1m,
                "n" => 1e-9m,
                "u" => 1e-6m,
                "m" => 1e-3m,
                "k" => 1e3m,
                "M" => 1e6m,
                "G" => 1e9m,
                "T" => 1e12m,
                "P" => 1e15m,
                "E" => 1e18m,
                "Ki" => 1024m,
                "Mi" => 1024m * 1024,
                "Gi" => 1024m * 1024 * 1024,
                "Ti" => 1024m * 1024 * 1024 * 1024,
                "Pi" => 1024m * 1024 * 1024 * 1024 * 1024,
                "Ei" => 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
                _ => DecimalExponent(suffix),
            };
            quantity = new Quantity(text, number * multiplier);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static decimal DecimalExponent(string suffix)
    {
        var exponent = int.Parse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (exponent is < -18 or > 18) throw new OverflowException();
        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++) result *= 10m;
        return exponent < 0 ? 1m / result : result;
    }

    public override string ToString() => Text;
}
