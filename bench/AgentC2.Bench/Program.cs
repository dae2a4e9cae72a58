using AgentC2.Bench;

// bench/AgentC2.Bench kestrel <url>             serve the bare Kestrel JSON ceiling
// bench/AgentC2.Bench ratelimit <redis> <count> cost of one rate-limit decision vs one Redis EVAL
// bench/AgentC2.Bench mcp <sample.dll> <seconds> <zipf-exponent>   the MCP pool against a plain client and cold starts
return args switch
{
    ["kestrel", var url] => await KestrelCeiling.RunAsync(url),
    ["ratelimit", var redis, var count] => await RateLimitCost.RunAsync(redis, int.Parse(count, System.Globalization.CultureInfo.InvariantCulture)),
    ["mcp", var sample, var seconds, var exponent] => await McpPoolBench.RunAsync(
        sample, int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture), double.Parse(exponent, System.Globalization.CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: AgentC2.Bench kestrel <url> | ratelimit <redis-host:port> <count> | mcp <sample.dll> <seconds> <zipf-exponent>");
    return 2;
}
