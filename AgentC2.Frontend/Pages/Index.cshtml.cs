using AgentC2.Frontend.Console;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AgentC2.Frontend.Pages;

/// <summary>The console's front door: the signed-in user's home, or sign-in.</summary>
internal sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => User.IsOrganization() ? Redirect("/agents") : User.IsOperator() ? Redirect("/operator") : Redirect("/sign-in");
}
