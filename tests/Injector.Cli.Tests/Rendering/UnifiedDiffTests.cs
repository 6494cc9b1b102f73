using Injector.Cli.Rendering;

namespace Injector.Cli.Tests.Rendering;

public sealed class UnifiedDiffTests
{
    [Fact]
    public void Equal_texts_give_no_diff() => Assert.Equal("", UnifiedDiff.Create("a", "b", "x\ny\n", "x\ny\n"));

    [Fact]
    public void An_insertion_gets_three_lines_of_context_on_each_side()
    {
        var diff = UnifiedDiff.Create("a/f", "b/f", "1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nnew\n5\n6\n7\n8\n");

        Assert.Equal("--- a/f\n+++ b/f\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n 7\n", diff);
    }

    [Fact]
    public void Changes_far_apart_get_separate_hunks_and_near_ones_share_one()
    {
        var old = string.Concat(Enumerable.Range(1, 20).Select(i => $"{i}\n"));
        var changed = string.Concat(Enumerable.Range(1, 20).Select(i => i switch { 2 => "two\n", 19 => "nineteen\n", _ => $"{i}\n" }));

        var diff = UnifiedDiff.Create("a", "b", old, changed);

        Assert.Equal("--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n", diff);
    }

    [Fact]
    public void Insertions_into_an_empty_text_and_deletions_of_everything_use_zero_ranges()
    {
        Assert.Equal("--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n", UnifiedDiff.Create("a", "b", "", "x\ny\n"));
        Assert.Equal("--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n", UnifiedDiff.Create("a", "b", "x\n", ""));
    }
}
