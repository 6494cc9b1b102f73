using Injector.Core.Settings;
using Xunit;

namespace Injector.Core.Tests;

public sealed class ApiTimeoutSettingTests
{
    private static readonly string[] Required = ["--mesh-name", "demo", "--region", "us-west-2"];

    [Theory]
    [InlineData("2s", 2000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1500)]
    [InlineData("3", 3000)]
    public void The_api_timeout_is_read_as_a_duration(string value, int milliseconds)
    {
        var result = SettingsLoader.Load([.. Required, "--api-timeout", value], new Dictionary<string, string>());
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), result.Settings!.ApiTimeout);
    }

    [Fact]
    public void The_api_timeout_defaults_to_two_seconds_and_is_read_from_the_environment() =>
        Assert.Equal(
            (TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(750)),
            (SettingsLoader.Load(Required, new Dictionary<string, string>()).Settings!.ApiTimeout,
             SettingsLoader.Load(Required, new Dictionary<string, string> { ["API_TIMEOUT"] = "750ms" }).Settings!.ApiTimeout));

    [Theory]
    [InlineData("soon")]
    [InlineData("0s")]
    [InlineData("2m")]
    [InlineData("90s")]
    public void A_bad_api_timeout_is_a_clear_error(string value) =>
        Assert.Equal(
            [$"--api-timeout: '{value}' is not a duration from 1ms to 60s, such as 2s or 500ms"],
            SettingsLoader.Load([.. Required, "--api-timeout", value], new Dictionary<string, string>()).Errors);
}
