using System.Diagnostics;
using AgentC2.Tests.Fixtures;
using Microsoft.Playwright;

namespace AgentC2.Tests.Console;

/// <summary>
/// Debian's Chromium driven by Playwright (its own browser download is not used). When Chromium is missing it is
/// installed from the Debian registry (<c>scripts/setup.sh --test-tools</c>) before the first test.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>The two widths every screenshot is taken at: a phone and a desktop.</summary>
    public static readonly (string Name, int Width, int Height)[] Viewports = [("desktop", 1280, 860), ("phone", 390, 844)];

    public static string ScreenshotFolder { get; } = Path.Combine(Repository.Root, "artifacts", "screenshots");

    private IPlaywright? _playwright;

    public IBrowser Instance { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            using var setup = Process.Start(new ProcessStartInfo("bash", [Path.Combine(Repository.Root, "scripts", "setup.sh"), "--test-tools"]))!;
            await setup.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
            Assert.True(File.Exists(Chromium), $"Chromium could not be installed (setup exited {setup.ExitCode}); run ./scripts/setup.sh --test-tools");
        }

        Directory.CreateDirectory(ScreenshotFolder);
        _playwright = await Playwright.CreateAsync();
        Instance = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        });
    }

    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        var context = await Instance.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = Viewports[0].Width, Height = Viewports[0].Height },
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in with <paramref name="key"/> on the console's sign-in page and waits to be let in.</summary>
    public static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/sign-in");
        await page.FillAsync("#ApiKey", key);
        await page.ClickAsync("button:has-text('Sign in')");
        await page.WaitForURLAsync(url => !url.Contains("/sign-in", StringComparison.Ordinal));
    }

    /// <summary>
    /// Finds what does not fit the viewport: the page scrolling sideways, an element reaching past the right edge (outside
    /// a scroll container), and at desktop width a scroll container that has to scroll (its content, a button say, cut off).
    /// </summary>
    private const string OverflowScript = """
        (desktop) => {
          const width = document.documentElement.clientWidth;
          const found = [];
          const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "");
          if (document.documentElement.scrollWidth > width + 1) found.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px wide)`);
          for (const e of document.body.querySelectorAll("*")) {
            const style = getComputedStyle(e);
            const scrolls = style.overflowX === "auto" || style.overflowX === "scroll";
            if (scrolls && desktop && e.scrollWidth > e.clientWidth + 1) found.push(`${name(e)} scrolls sideways (${e.scrollWidth} px of content in ${e.clientWidth} px)`);
            let inside = false;
            for (let p = e.parentElement; p && !inside; p = p.parentElement) {
              const o = getComputedStyle(p).overflowX;
              inside = o === "auto" || o === "scroll" || o === "hidden";
            }
            const box = e.getBoundingClientRect();
            if (!inside && box.width > 0 && box.right > width + 1) found.push(`${name(e)} reaches ${Math.round(box.right)} px`);
          }
          return found.slice(0, 10);
        }
        """;

    /// <summary>
    /// Saves the page at both widths as <c>artifacts/screenshots/{name}-{width}.png</c>, and fails when anything on it does
    /// not fit the width.
    /// </summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var overflow = new List<string>();
        foreach (var (viewport, width, height) in Viewports)
        {
            await page.SetViewportSizeAsync(width, height);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, $"{name}-{viewport}.png"), FullPage = true });
            overflow.AddRange((await page.EvaluateAsync<string[]>(OverflowScript, viewport == "desktop")).Select(o => $"at {width} px: {o}"));
        }

        await page.SetViewportSizeAsync(Viewports[0].Width, Viewports[0].Height);
        Assert.True(overflow.Count == 0, $"{name} does not fit: {string.Join("; ", overflow)}");
    }

    public async Task DisposeAsync()
    {
        if (Instance is not null)
        {
            await Instance.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
