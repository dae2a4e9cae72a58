using BitFaster.Caching.Lfu;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// Which client makes room for a new key: W-TinyLFU over the pool's live clients. Every acquire counts its key in a
/// frequency sketch (a count-min sketch of 4-bit counters that halves them every <c>10 × size</c> counts, so
/// frequencies follow recent use). A new client enters a small admission window (1 % of the pool, at least one
/// client). While the pool has room, the window's oldest clients pass to the main region as it fills; at capacity the
/// window's least recently used idle client must have been used more often than the main region's least used idle
/// client (least recently used among equals) to take its place, or it is the one evicted. An organization that calls
/// once cannot push out one that calls every minute; a newly busy one gets in after a few calls. When every window
/// client is in use (its server still starting, say), the new key takes the place of the main region's least used
/// idle client if it is used more often, or once it has waited <see cref="Patience"/> for a window client to come
/// free; either way it joins the main region, so the window keeps its size, and a key that got in only by waiting is
/// the least used main client, the first to make room again. Out of patience it takes the place of the least used main
/// client, and waits for that one when it is in use too (another newcomer's server still starting): only after twice
/// its patience does a more used idle client make room. Such a client is provisional until it is used again: the next
/// new key that finds the window busy takes an idle provisional client's place at once, without waiting out its
/// patience (a one-off organization's client is worth no more than the newcomer's). At the organization's own cap the
/// same choice is made among that organization's clients. With <see cref="McpAdmissionPolicy.Recency"/> the least
/// recently used idle client makes room, whatever its use. The pool's lock guards every call.
/// </summary>
internal sealed class McpPoolAdmission(McpPoolOptions options)
{
    /// <summary>How long a new key waits for a window client to come free before a main client makes room anyway.</summary>
    public static readonly TimeSpan WindowPatience = TimeSpan.FromSeconds(3);

    /// <summary>The sketch's size per client the instance may hold (it halves its counters after 10 × its size counts).</summary>
    private const int SketchAccessesPerClient = 50;

    private readonly CmSketch<McpServerKey> _frequency = new(Math.Max(256, (long)options.MaxClientsPerInstance * SketchAccessesPerClient), EqualityComparer<McpServerKey>.Default);

    private int WindowSize => Math.Max(1, options.MaxClientsPerInstance / 100);

    /// <summary>
    /// <see cref="WindowPatience"/>, or a third of the acquire timeout when that is shorter: a caller never times out waiting
    /// twice its patience.
    /// </summary>
    public TimeSpan Patience => TimeSpan.FromTicks(Math.Min(WindowPatience.Ticks, options.AcquireTimeout.Ticks / 3));

    /// <summary>
    /// The next time after the start of an acquire, past <paramref name="waited"/>, at which a waiting key's options change
    /// (its patience, then twice it); null once both have passed.
    /// </summary>
    public TimeSpan? NextDeadline(TimeSpan waited) => waited < Patience ? Patience : waited < 2 * Patience ? 2 * Patience : null;

    /// <summary>Counts a use of <paramref name="key"/> (a hit or a miss).</summary>
    public void Record(McpServerKey key) => _frequency.Increment(key);

    private int Frequency(McpServerKey key) => _frequency.EstimateFrequency(key);

    /// <summary>
    /// Whether a client of a new key fits, and how: below both caps, or in place of an idle client. Null when it must
    /// wait for a release: every client that could make room is leased, or only a main client could and the key is not
    /// used more often than it (before <see cref="Patience"/> has passed).
    /// </summary>
    public Admission? Admit(IReadOnlyCollection<McpPoolEntry> entries, McpServerKey key, TimeSpan waited)
    {
        var ofOrganization = entries.Where(e => e.Key.OrganizationId == key.OrganizationId).ToList();
        if (ofOrganization.Count >= options.MaxClientsPerOrganization)
        {
            return Choose(ofOrganization, key, waited);
        }

        return entries.Count < options.MaxClientsPerInstance ? new Admission(null, Admitted: false) : Choose(entries, key, waited);
    }

    /// <summary>
    /// A client entered the pool. Below capacity, the window's oldest clients beyond its size become main clients; at
    /// capacity the window keeps them until they win a place (it may hold a few more while its clients are in use).
    /// </summary>
    public void Added(IReadOnlyCollection<McpPoolEntry> entries, Admission admission)
    {
        if (admission.Victim is not null)
        {
            return;
        }

        var window = entries.Where(e => !e.Admitted && !e.Removed).OrderBy(e => e.LastUsed).ToList();
        for (var i = 0; i < window.Count - WindowSize; i++)
        {
            window[i].Admitted = true;
        }
    }

    private Admission? Choose(IReadOnlyCollection<McpPoolEntry> scope, McpServerKey key, TimeSpan waited)
    {
        if (options.Admission == McpAdmissionPolicy.Recency)
        {
            return LeastRecentlyUsedIdle(scope) is { } leastRecent ? new Admission(leastRecent, Admitted: true) : null;
        }

        var candidate = LeastRecentlyUsedIdle(scope.Where(e => !e.Admitted));
        var mainVictim = LeastUsedIdle(scope.Where(e => e.Admitted));
        if (candidate is not null && mainVictim is not null)
        {
            // The window's oldest idle client against the main region's least used one: the more frequently used one
            // stays (a tie keeps the main client).
            if (Frequency(candidate.Key) > Frequency(mainVictim.Key))
            {
                candidate.Admitted = true;
                return new Admission(mainVictim, Admitted: false);
            }

            return new Admission(candidate, Admitted: false);
        }

        if (candidate is not null)
        {
            return new Admission(candidate, Admitted: false);
        }

        // Every window client is in use: the new key itself competes with the main region's least used idle client, and
        // after its patience takes that client's place anyway (the least used one, so a steady client is the last to go).
        // It joins the main region in the place it took: were it to join the window, the window would grow by one and
        // the main region shrink by one with every such wait.
        if (mainVictim is null)
        {
            return null;
        }

        if (Frequency(key) > Frequency(mainVictim.Key))
        {
            return new Admission(mainVictim, Admitted: true);
        }

        // A main client that got in only by waiting and has not been used since holds a newcomer's place, not a steady
        // one's: the next newcomer takes it at once (as provisional as it was) instead of waiting out its patience for it.
        if (LeastRecentlyUsedIdle(scope.Where(e => e.Provisional)) is { } provisional)
        {
            return new Admission(provisional, Admitted: true, Provisional: true);
        }

        // Out of patience. When a less used main client is in use (typically a newcomer whose server is still starting:
        // on a loaded instance a start takes seconds and newcomers arrive faster than one window client can take them),
        // the key waits for it rather than push out a steadier idle one; after twice its patience it takes what is idle.
        var leastUsed = LeastUsed(scope.Where(e => e.Admitted))!;
        return waited >= 2 * Patience || (waited >= Patience && Frequency(mainVictim.Key) <= Frequency(leastUsed.Key))
            ? new Admission(mainVictim, Admitted: true, Provisional: true)
            : null;
    }

    private McpPoolEntry? LeastUsedIdle(IEnumerable<McpPoolEntry> entries) => LeastUsed(entries.Where(e => e.IsIdle));

    private McpPoolEntry? LeastUsed(IEnumerable<McpPoolEntry> entries) =>
        entries.OrderBy(e => Frequency(e.Key)).ThenBy(e => e.LastUsed).FirstOrDefault();

    private static McpPoolEntry? LeastRecentlyUsedIdle(IEnumerable<McpPoolEntry> entries) =>
        entries.Where(e => e.IsIdle).OrderBy(e => e.LastUsed).FirstOrDefault();
}

/// <summary>
/// Room for a new client: in place of <paramref name="Victim"/> (if any), straight into the main region or into the window;
/// <paramref name="Provisional"/> when it got into the main region only by waiting (the first place a newcomer takes).
/// </summary>
internal sealed record Admission(McpPoolEntry? Victim, bool Admitted, bool Provisional = false);
