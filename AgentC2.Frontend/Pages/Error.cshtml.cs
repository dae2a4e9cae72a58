using System.Diagnostics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AgentC2.Frontend.Pages;

/// <summary>The friendly error page (never a stack trace): for failures and for status codes without a body.</summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
internal sealed class ErrorModel : PageModel
{
    public string Title { get; private set; } = "Something went wrong";

    public string Message { get; private set; } = "The console could not show this page. It has been logged; please try again.";

    public string RequestId { get; private set; } = "";

    public void OnGet(int? code) => Describe(code);

    public void OnPost(int? code) => Describe(code);

    private void Describe(int? code)
    {
        RequestId = Activity.Current?.Id ?? HttpContext.TraceIdentifier;
        (Title, Message) = code switch
        {
            404 => ("Page not found", "There is nothing here. It may have been removed, or belong to another organization."),
            400 => ("That request was not understood", "Go back and try again; if you submitted a form, reload it first."),
            405 => ("Not allowed", "This page cannot be used that way."),
            null => (Title, Message),
            _ => ($"Error {code}", Message),
        };
    }
}
