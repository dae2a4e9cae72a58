extern alias AgentService;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AgentC2.Tests.Fixtures;
using AgentService::AgentC2.Agent.Mcp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ModelContextProtocol.Protocol;

namespace AgentC2.Tests.Mcp;

/// <summary>The pool's rules, with a fake connector (no processes) and a fake clock.</summary>
public sealed class McpClientPoolTests : IAsyncDisposable
{
    private static readonly Guid OrganizationA = Guid.NewGuid();
    private static readonly Guid OrganizationB = Guid.NewGuid();

    private readonly TimerCountingTimeProvider _time = new(DateTimeOffset.Parse("2026-11-29T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly FakeConnector _connector = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly McpClientPool _pool;

    public McpClientPoolTests()
    {
        var options = Options.Create(new McpOptions
        {
            Pool = new McpPoolOptions
            {
                MaxClientsPerInstance = 20, MaxClientsPerOrganization = 20, IdleTimeout = TimeSpan.FromMinutes(10),
                AcquireTimeout = TimeSpan.FromSeconds(5), StartFailureBackoff = TimeSpan.FromSeconds(2),
            },
        });
        _pool = new McpClientPool(_connector, options, new McpPoolMetrics(_services.GetRequiredService<IMeterFactory>()), _time, NullLogger<McpClientPool>.Instance);
    }

    private McpClientPool PoolWith(int perInstance, int perOrganization, int acquireTimeoutSeconds = 5) => new(
        _connector,
        Options.Create(new McpOptions { Pool = new McpPoolOptions { MaxClientsPerInstance = perInstance, MaxClientsPerOrganization = perOrganization, AcquireTimeout = TimeSpan.FromSeconds(acquireTimeoutSeconds) } }),
        new McpPoolMetrics(_services.GetRequiredService<IMeterFactory>()), _time, NullLogger<McpClientPool>.Instance);

    [Fact]
    public async Task Concurrent_first_uses_of_one_key_start_one_server()
    {
        _connector.Delay = TimeSpan.FromMilliseconds(50);
        var key = new McpServerKey(OrganizationA, "samples");

        var leases = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => _pool.AcquireAsync(key, CancellationToken.None))));

        Assert.Equal(1, _connector.Starts);
        Assert.Single(leases.Select(l => l.Session).Distinct());
        Assert.Equal(100, _pool.State().Entries.Single().Leases);
        foreach (var lease in leases)
        {
            lease.Dispose();
        }

        Assert.Equal(0, _pool.State().InUse);
    }

    [Fact]
    public async Task At_capacity_a_new_key_with_no_more_use_than_the_rest_replaces_the_newest_idle_client_never_a_leased_one()
    {
        var leased = await _pool.AcquireAsync(Key(0), CancellationToken.None); // the oldest, but in use
        for (var i = 1; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            (await _pool.AcquireAsync(Key(i), CancellationToken.None)).Dispose();
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        using var twentyFirst = await _pool.AcquireAsync(Key(20), CancellationToken.None);

        // Each key was used once: the admission window's client (the newest) makes room, the older ones stay.
        var held = _pool.State().Entries.Select(e => e.Server).ToHashSet();
        Assert.Equal(20, held.Count);
        Assert.Contains("server-0", held);
        Assert.Contains("server-1", held);
        Assert.DoesNotContain("server-19", held);
        Assert.True(_connector.Sessions.Single(s => s.Key == Key(19)).Disposed);
        Assert.False(_connector.Sessions.Single(s => s.Key == Key(0)).Disposed);

        // With every other client leased, the leased oldest one is still never the victim.
        var others = new List<McpLease>();
        for (var i = 1; i < 19; i++)
        {
            others.Add(await _pool.AcquireAsync(Key(i), CancellationToken.None));
        }

        twentyFirst.Dispose();
        using (await _pool.AcquireAsync(Key(21), CancellationToken.None))
        {
            Assert.Contains("server-0", _pool.State().Entries.Select(e => e.Server));
        }

        others.ForEach(o => o.Dispose());
        leased.Dispose();
    }

    [Fact]
    public async Task Steady_organizations_keep_their_clients_while_one_off_callers_pass_through_and_a_newly_busy_one_gets_in()
    {
        await using var pool = PoolWith(perInstance: 10, perOrganization: 10);
        var steady = Enumerable.Range(0, 10).Select(i => new McpServerKey(Guid.NewGuid(), "samples")).ToList();
        for (var round = 0; round < 5; round++)
        {
            foreach (var key in steady)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                (await pool.AcquireAsync(key, CancellationToken.None)).Dispose();
            }
        }

        // 40 organizations calling once each, least recently used (plain LRU would have replaced every steady client).
        for (var i = 0; i < 40; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            (await pool.AcquireAsync(new McpServerKey(Guid.NewGuid(), "samples"), CancellationToken.None)).Dispose();
        }

        var held = pool.State().Entries.Select(e => e.OrganizationId).ToHashSet();
        Assert.Equal(9, steady.Count(k => held.Contains(k.OrganizationId))); // all but the one the window displaced at first
        Assert.Equal(10, held.Count);

        // An organization that starts calling often is admitted past the window, in place of the least recently used steady one.
        var busy = new McpServerKey(Guid.NewGuid(), "samples");
        for (var i = 0; i < 8; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            (await pool.AcquireAsync(busy, CancellationToken.None)).Dispose();
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        (await pool.AcquireAsync(new McpServerKey(Guid.NewGuid(), "samples"), CancellationToken.None)).Dispose();
        Assert.Contains(busy.OrganizationId, pool.State().Entries.Select(e => e.OrganizationId));
    }

    [Fact]
    public async Task While_the_window_client_is_in_use_a_new_key_waits_its_patience_then_replaces_the_least_used_main_client()
    {
        await using var pool = PoolWith(perInstance: 3, perOrganization: 3);
        var steady = new McpServerKey(Guid.NewGuid(), "samples");
        var rare = new McpServerKey(Guid.NewGuid(), "samples");
        for (var i = 0; i < 5; i++)
        {
            (await pool.AcquireAsync(steady, CancellationToken.None)).Dispose();
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        (await pool.AcquireAsync(rare, CancellationToken.None)).Dispose();
        _time.Advance(TimeSpan.FromSeconds(1));
        using var windowClient = await pool.AcquireAsync(new McpServerKey(Guid.NewGuid(), "samples"), CancellationToken.None);

        // Full, and the only window client is leased: a one-off key is not more used than any main client, so it waits.
        var newcomer = new McpServerKey(Guid.NewGuid(), "samples");
        var acquiring = pool.AcquireAsync(newcomer, CancellationToken.None);
        await WaitersAsync(pool, 1);
        Assert.False(acquiring.IsCompleted);

        // Its patience out, it takes the place of the least used main client, not the steady one.
        _time.Advance(McpPoolAdmission.WindowPatience);
        using var lease = await acquiring;
        var held = pool.State().Entries.Select(e => e.OrganizationId).ToHashSet();
        Assert.Contains(steady.OrganizationId, held);
        Assert.DoesNotContain(rare.OrganizationId, held);
        Assert.Contains(newcomer.OrganizationId, held);
    }

    [Fact]
    public async Task A_key_that_got_in_by_waiting_is_the_first_to_go_and_the_window_keeps_its_size()
    {
        await using var pool = PoolWith(perInstance: 3, perOrganization: 3);
        var steady = new McpServerKey(Guid.NewGuid(), "samples");
        var lessSteady = new McpServerKey(Guid.NewGuid(), "samples");
        async Task UseAsync(McpServerKey key, int times = 1)
        {
            for (var i = 0; i < times; i++)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                (await pool.AcquireAsync(key, CancellationToken.None)).Dispose();
            }
        }

        await UseAsync(steady, 5);
        await UseAsync(lessSteady, 3);
        _time.Advance(TimeSpan.FromSeconds(1));
        var windowClient = await pool.AcquireAsync(new McpServerKey(Guid.NewGuid(), "samples"), CancellationToken.None);

        // The window client is still in use: a one-off key waits its patience, then displaces the less steady client.
        var waiting = pool.AcquireAsync(new McpServerKey(Guid.NewGuid(), "samples"), CancellationToken.None);
        await WaitersAsync(pool, 1);
        _time.Advance(McpPoolAdmission.WindowPatience);
        (await waiting).Dispose();
        windowClient.Dispose();
        Assert.DoesNotContain(lessSteady.OrganizationId, pool.State().Entries.Select(e => e.OrganizationId));

        // The displaced client comes back through the window and wins its place back from the key that only waited; a
        // stream of one-off callers then passes through the single window client and leaves both steady ones alone.
        await UseAsync(lessSteady);
        for (var i = 0; i < 5; i++)
        {
            await UseAsync(new McpServerKey(Guid.NewGuid(), "samples"));
        }

        var held = pool.State().Entries.Select(e => e.OrganizationId).ToHashSet();
        Assert.Contains(steady.OrganizationId, held);
        Assert.Contains(lessSteady.OrganizationId, held);
    }

    [Fact]
    public async Task A_new_key_takes_the_place_of_an_idle_key_that_got_in_by_waiting_without_waiting_itself()
    {
        await using var pool = PoolWith(perInstance: 3, perOrganization: 3, acquireTimeoutSeconds: 10);
        var (steady, windowClient, gotInByWaiting) = await OneOffInByWaitingAsync(pool);
        gotInByWaiting.Dispose();

        // The window client is still in use, and the one-off key that only waited is idle: the next one-off key takes its
        // place at once (the clock does not move), and the steady client stays.
        var newcomer = new McpServerKey(Guid.NewGuid(), "samples");
        using var lease = await pool.AcquireAsync(newcomer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var held = pool.State().Entries.Select(e => e.OrganizationId).ToHashSet();
        Assert.Contains(steady.OrganizationId, held);
        Assert.DoesNotContain(gotInByWaiting.Entry.Key.OrganizationId, held);
        Assert.Contains(newcomer.OrganizationId, held);

        // Used again, a key that got in by waiting is no longer a newcomer's place: the next one-off key waits its patience.
        (await pool.AcquireAsync(newcomer, CancellationToken.None)).Dispose();
        lease.Dispose();
        var another = pool.AcquireAsync(new McpServerKey(Guid.NewGuid(), "samples"), CancellationToken.None);
        await WaitersAsync(pool, 1);
        Assert.False(another.IsCompleted);
        _time.Advance(McpPoolAdmission.WindowPatience);
        (await another.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        windowClient.Dispose();
    }

    [Fact]
    public async Task Out_of_patience_a_new_key_waits_for_the_least_used_client_that_is_still_starting_not_a_steadier_idle_one()
    {
        await using var pool = PoolWith(perInstance: 3, perOrganization: 3, acquireTimeoutSeconds: 10);
        var (steady, gotInByWaiting, newcomer, acquiring) = await NewcomerPastItsPatienceAsync(pool);

        gotInByWaiting.Dispose();
        using var lease = await acquiring.WaitAsync(TimeSpan.FromSeconds(10));
        var held = pool.State().Entries.Select(e => e.OrganizationId).ToHashSet();
        Assert.Contains(steady.OrganizationId, held);
        Assert.DoesNotContain(gotInByWaiting.Entry.Key.OrganizationId, held);
        Assert.Contains(newcomer.OrganizationId, held);
    }

    [Fact]
    public async Task After_twice_its_patience_a_new_key_takes_the_place_of_the_least_used_idle_client()
    {
        await using var pool = PoolWith(perInstance: 3, perOrganization: 3, acquireTimeoutSeconds: 10);
        var (steady, gotInByWaiting, _, acquiring) = await NewcomerPastItsPatienceAsync(pool);

        _time.Advance(McpPoolAdmission.WindowPatience);
        using var lease = await acquiring.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(steady.OrganizationId, pool.State().Entries.Select(e => e.OrganizationId));
        gotInByWaiting.Dispose();
    }

    /// <summary>
    /// A full pool of three: a steady main client, the window's client in use, and in use too a one-off key that got in by
    /// waiting out its patience (in place of a less steady client). Then another one-off key, past its patience: the
    /// least used main client is the busy one-off, so it still waits rather than push out the steady client.
    /// </summary>
    private async Task<(McpServerKey Steady, McpLease GotInByWaiting, McpServerKey Newcomer, Task<McpLease> Acquiring)> NewcomerPastItsPatienceAsync(McpClientPool pool)
    {
        var (steady, _, gotInByWaiting) = await OneOffInByWaitingAsync(pool);
        var newcomer = new McpServerKey(Guid.NewGuid(), "samples");
        var acquiring = pool.AcquireAsync(newcomer, CancellationToken.None);
        await WaitersAsync(pool, 1);
        await SettledAfterAsync(() => _time.Advance(McpPoolAdmission.WindowPatience), acquiring);
        Assert.False(acquiring.IsCompleted);
        Assert.Contains(steady.OrganizationId, pool.State().Entries.Select(e => e.OrganizationId));
        return (steady, gotInByWaiting, newcomer, acquiring);
    }

    /// <summary>
    /// A full pool of three: a steady main client, the window's client (returned in use), and a one-off key (returned in
    /// use) that got in by waiting out its patience while the window client was in use, in place of a less steady client.
    /// </summary>
    private async Task<(McpServerKey Steady, McpLease WindowClient, McpLease GotInByWaiting)> OneOffInByWaitingAsync(McpClientPool pool)
    {
        var steady = new McpServerKey(Guid.NewGuid(), "samples");
        var lessSteady = new McpServerKey(Guid.NewGuid(), "samples");
        foreach (var (key, times) in new[] { (steady, 5), (lessSteady, 3) })
        {
            for (var i = 0; i < times; i++)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                (await pool.AcquireAsync(key, CancellationToken.None)).Dispose();
            }
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        var windowClient = await pool.AcquireAsync(new McpServerKey(Guid.NewGuid(), "samples"), CancellationToken.None);
        var waiting = pool.AcquireAsync(new McpServerKey(Guid.NewGuid(), "samples"), CancellationToken.None);
        await WaitersAsync(pool, 1);
        _time.Advance(McpPoolAdmission.WindowPatience);
        var gotInByWaiting = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(lessSteady.OrganizationId, pool.State().Entries.Select(e => e.OrganizationId));
        return (steady, windowClient, gotInByWaiting);
    }

    /// <summary>
    /// Runs <paramref name="advance"/> (a clock advance that wakes the waiting acquire) and waits until the acquire has
    /// checked again and set its next timer, or is done.
    /// </summary>
    private async Task SettledAfterAsync(Action advance, Task acquiring)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var timers = _time.Timers;
        advance();
        while (!acquiring.IsCompleted && _time.Timers == timers)
        {
            bound.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }

    /// <summary>A fake clock that counts the timers set on it: a waiting acquire sets one each time it goes back to waiting.</summary>
    private sealed class TimerCountingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private int _timers;

        public int Timers => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    [Fact]
    public async Task An_evicted_server_is_gone_before_its_replacement_starts()
    {
        await using var pool = PoolWith(perInstance: 2, perOrganization: 2);
        _connector.DisposeDelay = TimeSpan.FromMilliseconds(100);
        (await pool.AcquireAsync(Key(1), CancellationToken.None)).Dispose();
        (await pool.AcquireAsync(Key(2), CancellationToken.None)).Dispose();

        using var third = await pool.AcquireAsync(Key(3), CancellationToken.None);

        Assert.Equal([0, 1, 1], _connector.LiveAtStart);
        Assert.True(_connector.Sessions[1].Disposed); // the admission window's client (both were used once)
    }

    [Fact]
    public async Task When_every_client_is_leased_a_caller_waits_then_gets_pool_exhausted()
    {
        await using var pool = PoolWith(perInstance: 2, perOrganization: 2);
        using var first = await pool.AcquireAsync(Key(1), CancellationToken.None);
        using var second = await pool.AcquireAsync(Key(2), CancellationToken.None);

        var waiting = pool.AcquireAsync(Key(3), CancellationToken.None);
        await WaitersAsync(pool, 1);
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(5));

        var exhausted = await Assert.ThrowsAsync<McpPoolExhaustedException>(() => waiting);
        Assert.True(exhausted.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_waiting_caller_gets_the_room_a_released_client_makes()
    {
        await using var pool = PoolWith(perInstance: 1, perOrganization: 1);
        var first = await pool.AcquireAsync(Key(1), CancellationToken.None);

        var waiting = pool.AcquireAsync(Key(2), CancellationToken.None);
        await WaitersAsync(pool, 1);
        Assert.False(waiting.IsCompleted);
        first.Dispose();

        using var second = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("server-2", pool.State().Entries.Single().Server);
    }

    [Fact]
    public async Task The_sweep_disposes_clients_idle_longer_than_the_idle_timeout()
    {
        (await _pool.AcquireAsync(Key(1), CancellationToken.None)).Dispose();
        _time.Advance(TimeSpan.FromMinutes(6));
        (await _pool.AcquireAsync(Key(2), CancellationToken.None)).Dispose();
        using var busy = await _pool.AcquireAsync(Key(3), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(1, await _pool.SweepAsync(CancellationToken.None));

        Assert.Equal(["server-2", "server-3"], _pool.State().Entries.Select(e => e.Server).Order());
        Assert.True(_connector.Sessions.Single(s => s.Key == Key(1)).Disposed);
    }

    [Fact]
    public async Task One_organization_cannot_take_more_than_its_cap()
    {
        await using var pool = PoolWith(perInstance: 10, perOrganization: 2);
        using var a1 = await pool.AcquireAsync(new McpServerKey(OrganizationA, "one"), CancellationToken.None);
        using var a2 = await pool.AcquireAsync(new McpServerKey(OrganizationA, "two"), CancellationToken.None);
        using var b1 = await pool.AcquireAsync(new McpServerKey(OrganizationB, "one"), CancellationToken.None);

        var third = pool.AcquireAsync(new McpServerKey(OrganizationA, "three"), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<McpPoolExhaustedException>(() => third);

        // Another organization still gets clients.
        using var b2 = await pool.AcquireAsync(new McpServerKey(OrganizationB, "two"), CancellationToken.None);
        Assert.Equal(4, pool.State().Clients);
    }

    [Fact]
    public async Task A_server_that_died_is_replaced_on_next_use()
    {
        (await _pool.AcquireAsync(Key(1), CancellationToken.None)).Dispose();
        _connector.Sessions.Single().Die();
        await Eventually.MatchAsync(_ => Task.FromResult(_pool.State().Clients), n => n == 0, TimeSpan.FromSeconds(5), "the dead client removed");

        using var again = await _pool.AcquireAsync(Key(1), CancellationToken.None);
        Assert.Equal(2, _connector.Starts);
        Assert.True(SpinWait.SpinUntil(() => _connector.Sessions[0].Disposed, TimeSpan.FromSeconds(5))); // disposed after it left the pool
    }

    [Fact]
    public async Task A_server_that_fails_to_start_backs_off_without_affecting_other_keys()
    {
        _connector.Failing.Add(Key(1));
        await Assert.ThrowsAsync<McpServerUnavailableException>(() => _pool.AcquireAsync(Key(1), CancellationToken.None));
        var backingOff = await Assert.ThrowsAsync<McpServerUnavailableException>(() => _pool.AcquireAsync(Key(1), CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(2), backingOff.RetryAfter);
        Assert.Equal(1, _connector.Starts);

        using var other = await _pool.AcquireAsync(Key(2), CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAsync<McpServerUnavailableException>(() => _pool.AcquireAsync(Key(1), CancellationToken.None));
        var longer = await Assert.ThrowsAsync<McpServerUnavailableException>(() => _pool.AcquireAsync(Key(1), CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(4), longer.RetryAfter);

        _connector.Failing.Clear();
        _time.Advance(TimeSpan.FromSeconds(4));
        using var recovered = await _pool.AcquireAsync(Key(1), CancellationToken.None);
    }

    [Fact]
    public async Task A_discarded_client_leaves_the_pool_and_the_next_acquire_starts_a_new_session()
    {
        var first = await _pool.AcquireAsync(Key(1), CancellationToken.None);

        await _pool.DiscardAsync(first, "expired");
        Assert.Empty(_pool.State().Entries);
        Assert.False(_connector.Sessions[0].Disposed); // still leased: it goes when its caller is done
        first.Dispose();
        Assert.True(SpinWait.SpinUntil(() => _connector.Sessions[0].Disposed, TimeSpan.FromSeconds(5)));

        using var second = await _pool.AcquireAsync(Key(1), CancellationToken.None);
        Assert.Equal(2, _connector.Starts);
        Assert.NotSame(first.Session, second.Session);
    }

    [Fact]
    public async Task Closing_a_server_takes_every_registration_of_it_out_at_once_and_leaves_others()
    {
        var inUse = await _pool.AcquireAsync(new McpServerKey(OrganizationA, "tools", Guid.NewGuid()), CancellationToken.None);
        (await _pool.AcquireAsync(new McpServerKey(OrganizationA, "tools", Guid.NewGuid()), CancellationToken.None)).Dispose();
        (await _pool.AcquireAsync(new McpServerKey(OrganizationB, "tools", Guid.NewGuid()), CancellationToken.None)).Dispose();

        var closed = _pool.CloseAsync((key, _) => key.OrganizationId == OrganizationA && key.Server == "tools", "removed");

        Assert.Equal([OrganizationB], _pool.State().Entries.Select(e => e.OrganizationId));
        Assert.False(closed.IsCompleted); // the leased one is disposed when its call ends
        inUse.Dispose();
        await closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, _connector.Sessions.Count(s => s.Disposed));
    }

    [Fact]
    public async Task A_catalog_entry_changed_or_disabled_in_the_configuration_closes_the_clients_started_from_it()
    {
        // The fake sessions report their server name as their catalog entry.
        var catalog = new McpOptions { Catalog = { ["server-1"] = new McpCatalogEntry { Command = "a" }, ["server-2"] = new McpCatalogEntry { Command = "b" } } };
        var monitor = new ChangingOptions(catalog);
        using var changes = new McpRegistryChanges(_pool, monitor, _services, _time, NullLogger<McpRegistryChanges>.Instance);
        (await _pool.AcquireAsync(Key(1), CancellationToken.None)).Dispose();
        (await _pool.AcquireAsync(Key(2), CancellationToken.None)).Dispose();

        monitor.Change(new McpOptions { Catalog = { ["server-1"] = new McpCatalogEntry { Command = "a", Enabled = false }, ["server-2"] = new McpCatalogEntry { Command = "b" } } });
        Assert.Equal(["server-2"], _pool.State().Entries.Select(e => e.Server));

        monitor.Change(new McpOptions { Catalog = { ["server-2"] = new McpCatalogEntry { Command = "b", Args = ["--new"] } } });
        Assert.Empty(_pool.State().Entries);
    }

    [Fact]
    public async Task Disposing_the_pool_disposes_every_session()
    {
        await using (var pool = PoolWith(perInstance: 5, perOrganization: 5))
        {
            (await pool.AcquireAsync(Key(1), CancellationToken.None)).Dispose();
            (await pool.AcquireAsync(Key(2), CancellationToken.None)).Dispose();
        }

        Assert.All(_connector.Sessions, s => Assert.True(s.Disposed));
    }

    private static McpServerKey Key(int i) => new(OrganizationA, $"server-{i}");

    /// <summary>Returns once <paramref name="count"/> callers wait for room (their timeout timers armed on the fake clock).</summary>
    private static async Task WaitersAsync(McpClientPool pool, int count)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (pool.State().Waiting != count)
        {
            bound.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _pool.DisposeAsync();
        await _services.DisposeAsync();
    }

    private sealed class ChangingOptions(McpOptions value) : IOptionsMonitor<McpOptions>
    {
        private Action<McpOptions, string?>? _listener;

        public McpOptions CurrentValue { get; private set; } = value;

        public McpOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<McpOptions, string?> listener)
        {
            _listener = listener;
            return null;
        }

        public void Change(McpOptions options)
        {
            CurrentValue = options;
            _listener?.Invoke(options, null);
        }
    }

    private sealed class FakeConnector : IMcpConnector
    {
        private int _starts;

        public TimeSpan Delay { get; set; }

        public TimeSpan DisposeDelay { get; set; }

        /// <summary>How many sessions were alive (not yet disposed) as each start began.</summary>
        public List<int> LiveAtStart { get; } = [];

        public ConcurrentBag<McpServerKey> Failing { get; } = [];

        public List<FakeSession> Sessions { get; } = [];

        public int Starts => _starts;

        public async Task<IMcpSession> ConnectAsync(McpServerKey key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _starts);
            lock (Sessions)
            {
                LiveAtStart.Add(Sessions.Count(s => !s.Disposed));
            }

            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, cancellationToken);
            }

            if (Failing.Contains(key))
            {
                throw new IOException("the server would not start");
            }

            var session = new FakeSession(key, DisposeDelay);
            lock (Sessions)
            {
                Sessions.Add(session);
            }

            return session;
        }
    }

    private sealed class FakeSession(McpServerKey key, TimeSpan disposeDelay) : IMcpSession
    {
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public McpServerKey Key { get; } = key;

        public bool Disposed { get; private set; }

        public IReadOnlyList<Tool> Tools { get; } = [];

        public string? Catalog => Key.Server;

        public Task Completion => _completion.Task;

        public void Die() => _completion.TrySetResult();

        public ValueTask<CallToolResult> CallToolAsync(string name, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new CallToolResult());

        public async ValueTask DisposeAsync()
        {
            if (disposeDelay > TimeSpan.Zero)
            {
                await Task.Delay(disposeDelay); // a process taking its time to exit
            }

            Disposed = true;
            _completion.TrySetResult();
        }
    }
}
