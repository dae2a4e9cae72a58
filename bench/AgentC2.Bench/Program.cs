using AgentC2.Bench;

// bench/AgentC2.Bench kestrel <url>             serve the bare Kestrel JSON ceiling
// bench/AgentC2.Bench ratelimit <redis> <count> cost of one rate-limit decision vs one Redis EVAL
return args switch
{
    ["kestrel", var url] => await KestrelCeiling.RunAsync(url),
    ["ratelimit", var redis, var count] => await RateLimitCost.RunAsync(redis, int.Parse(count, System.Globalization.CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: AgentC2.Bench kestrel <url> | ratelimit <redis-host:port> <count>");
    return 2;
}
