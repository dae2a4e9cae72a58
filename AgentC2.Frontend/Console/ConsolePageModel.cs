using System.Globalization;
using System.Net;
using AgentC2.Frontend.AgentApi;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AgentC2.Frontend.Console;

/// <summary>
/// A console page that calls the agent API. A refusal or an outage does not fail the page: it is rendered with a
/// banner that says what happened (API down, rate limited, key revoked, not found) and the matching status code;
/// validation errors land on the form fields they belong to.
/// </summary>
internal abstract class ConsolePageModel : PageModel
{
    public const string ProblemKey = "ApiProblem";

    /// <summary>Runs <paramref name="call"/>; false when the API refused or could not be reached (the banner is set).</summary>
    protected async Task<bool> TryApiAsync(Func<Task> call, string? formPrefix = null)
    {
        try
        {
            await call();
            return true;
        }
        catch (AgentApiUnavailableException)
        {
            Problem(HttpStatusCode.ServiceUnavailable, "The agent API is not reachable right now. Your data is safe; try again in a few seconds.", TimeSpan.FromSeconds(10));
        }
        catch (AgentApiException e) when (e.Status == HttpStatusCode.TooManyRequests)
        {
            var wait = e.RetryAfter ?? TimeSpan.FromSeconds(5);
            Problem(e.Status, $"Your organization has sent too many requests. Try again in {Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s.", wait);
        }
        catch (AgentApiException e) when (e.Status == HttpStatusCode.Unauthorized)
        {
            Problem(e.Status, "Your API key is no longer accepted (it may have been revoked). Sign out and sign in with a valid key.");
        }
        catch (AgentApiException e) when (e.Status == HttpStatusCode.BadRequest && e.Errors.Count > 0)
        {
            foreach (var (field, messages) in e.Errors)
            {
                var name = formPrefix is null ? Pascal(field) : $"{formPrefix}.{Pascal(field)}";
                foreach (var message in messages)
                {
                    ModelState.AddModelError(name, message);
                }
            }

            Problem(e.Status, e.Detail ?? "Some fields need attention.");
        }
        catch (AgentApiException e) when (e.Status is HttpStatusCode.ServiceUnavailable)
        {
            Problem(e.Status, e.Detail ?? "The agent API cannot serve this right now; try again shortly.", e.RetryAfter ?? TimeSpan.FromSeconds(10));
        }
        catch (AgentApiException e)
        {
            Problem((int)e.Status >= 500 ? HttpStatusCode.BadGateway : e.Status, e.Detail ?? e.Title);
        }

        return false;
    }

    /// <summary>Loads the page's data again after a failed action; the action's banner (if any) is the one shown.</summary>
    protected async Task ReloadAsync(Func<Task> load)
    {
        var problem = ViewData[ProblemKey];
        await load();
        if (problem is not null)
        {
            ViewData[ProblemKey] = problem;
        }
    }

    private void Problem(HttpStatusCode status, string message, TimeSpan? retryAfter = null)
    {
        ViewData[ProblemKey] = message;
        Response.StatusCode = (int)status;
        if (retryAfter is { } wait)
        {
            Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }
    }

    private static string Pascal(string field) => field.Length == 0 ? field : char.ToUpperInvariant(field[0]) + field[1..];
}
