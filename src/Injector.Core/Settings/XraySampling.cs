using System.Globalization;

namespace Injector.Core.Settings;

/// <summary>The X-Ray sampling rate as the controller writes <c>XRAY_SAMPLING_RATE</c>
/// (sidecar_builder.go updateEnvMapForEnvoy): a number from 0 to 1, rounded to two decimals.</summary>
public static class XraySampling
{
    /// <summary><c>"0.05"</c> → <c>"0.05"</c>, <c>"0.123"</c> → <c>"0.12"</c>, <c>"1.0"</c> → <c>"1"</c>; null when not a number from 0 to 1.</summary>
    public static string? Format(string? text)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var rate)
            || rate is < 0 or > 1) return null;
        return decimal.Round(rate, 2, MidpointRounding.AwayFromZero).ToString("0.##", CultureInfo.InvariantCulture);
    }
}
