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

    /// <summary>Saves the page at both widths as <c>artifacts/screenshots/{name}-{width}.png</c>.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        foreach (var (viewport, width, height) in Viewports)
        {
            await page.SetViewportSizeAsync(width, height);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, $"{name}-{viewport}.png"), FullPage = true });
        }

        await page.SetViewportSizeAsync(Viewports[0].Width, Viewports[0].Height);
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
