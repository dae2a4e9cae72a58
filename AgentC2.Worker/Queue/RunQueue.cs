using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentC2.Worker.Queue;

/// <summary>A run this worker has claimed: how long it waited, and which attempt this is.</summary>
internal sealed record ClaimedRun(Guid Id, Guid OrganizationId, int Attempts, int MaxAttempts, double WaitSeconds, DateTime CreatedAt, string? TraceParent = null);

/// <summary>
/// The queue at one instant: runs claimable now, waiting for a retry, and running; and how long the oldest claimable run
/// has waited (0 when none waits), the backlog signal that a count alone hides.
/// </summary>
internal sealed record QueueDepth(long Queued, long Delayed, long Running, double OldestDueSeconds);

/// <summary>
/// The runs table as a queue (PostgreSQL's clock decides every lease, so workers on different hosts agree).
/// A claim takes a transaction-scoped advisory lock, first returns runs whose lease expired to the queue (or fails
/// them after their last attempt), then claims the oldest runs of each organization below its cap of running runs
/// with <c>FOR UPDATE SKIP LOCKED</c>, in fair turns: FIFO within an organization, each free slot to the organization
/// with the fewest runs going, so one organization's backlog neither takes every slot nor makes another wait behind it.
/// </summary>
internal sealed class RunQueue(NpgsqlDataSource dataSource, IOptions<QueueOptions> options)
{
    // "AgentC2Q": serializes claims so that per-organization caps hold across workers.
    private const long ClaimLockKey = 0x41_67_65_6E_74_43_32_51;

    private const string ReleaseWhere = "WHERE id = @id AND lease_owner = @owner AND status = 'running'";

    /// <param name="reap">Whether to look for expired leases first (not needed on every claim: leases expire in seconds, not milliseconds).</param>
    /// <param name="cursors">Null for a full claim; otherwise claim only from these organizations, after these positions.</param>
    public async Task<(IReadOnlyList<ClaimedRun> Claimed, int Expired)> ClaimAsync(
        string owner, int limit, bool reap, IReadOnlyList<QueueCursor>? cursors, CancellationToken cancellationToken)
    {
        var queue = options.Value;
        var overrides = queue.Organizations.Where(o => o.Value.MaxRunning is not null).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One round trip, one implicit transaction: the lock serializes claims, and the statements after it are planned for
        // their own parameters every time (a generic plan cached while runs was small would scan it whole).
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            $"""
            {DependencyExtensions.PlanEachExecution} FROM (SELECT pg_advisory_xact_lock(@lockKey)) AS locked;

            WITH expired AS (
                SELECT id FROM runs
                WHERE @reap AND status = 'running' AND lease_owner IS NOT NULL AND lease_expires_at < now()
                FOR UPDATE SKIP LOCKED)
            UPDATE runs SET status = CASE WHEN runs.attempts >= runs.max_attempts THEN 'failed' ELSE 'queued' END,
                            finished_at = CASE WHEN runs.attempts >= runs.max_attempts THEN now() END,
                            last_error = format('The worker driving attempt %s stopped renewing its lease.', runs.attempts),
                            lease_owner = NULL, lease_expires_at = NULL, available_at = now(), updated_at = now()
            FROM expired WHERE runs.id = expired.id
            RETURNING runs.id;

            UPDATE runs SET status = 'failed', finished_at = now(), updated_at = now(),
                            last_error = 'The agent instance running this synchronous run stopped before it finished.'
            WHERE @reap AND status = 'running' AND lease_owner IS NULL AND execution_mode = 'sync' AND started_at < now() - @staleSync
            RETURNING id;

            WITH cursors AS (
                SELECT * FROM unnest(@cursorOrganizations::uuid[], @cursorCreated::timestamptz[], @cursorIds::uuid[]) AS k (organization_id, created_at, id)),
            -- A full claim looks at every organization with a due run, from the start of its queue; a cursor claim only at
            -- the organizations this worker follows, from just after the last run it claimed there (QueueCursors).
            organizations_due AS (
                SELECT o.id, o.slug, COALESCE(k.created_at, '-infinity') AS after_created, COALESCE(k.id, '00000000-0000-0000-0000-000000000000') AS after_id
                FROM organizations o LEFT JOIN cursors k ON k.organization_id = o.id
                WHERE CASE WHEN @full
                      THEN EXISTS (SELECT 1 FROM runs q WHERE q.organization_id = o.id AND q.status = 'queued' AND q.available_at <= now())
                      ELSE k.organization_id IS NOT NULL END),
            candidates AS (
                SELECT c.id, c.available_at, c.created_at, d.id AS organization_id, d.slug
                FROM organizations_due d, LATERAL (
                    SELECT q.id, q.available_at, q.created_at FROM runs q
                    WHERE q.organization_id = d.id AND q.status = 'queued' AND q.available_at <= now()
                      AND (q.created_at, q.id) > (d.after_created, d.after_id)
                    ORDER BY q.created_at, q.id
                    LIMIT @limit
                    FOR UPDATE SKIP LOCKED) c),
            capacity AS MATERIALIZED (
                SELECT d.id, leased.running, COALESCE(x.cap, @defaultCap) - leased.running AS free
                FROM (SELECT DISTINCT organization_id AS id, slug FROM candidates) d
                LEFT JOIN unnest(@capSlugs::text[], @capValues::int[]) AS x (slug, cap) ON x.slug = d.slug
                CROSS JOIN LATERAL (
                    SELECT count(*) AS running FROM runs l WHERE l.organization_id = d.id AND l.status = 'running' AND l.lease_owner IS NOT NULL) leased),
            -- Fair turns: an organization's k-th candidate comes at turn (its runs running now + k), so a slot goes to the
            -- organization with the fewest runs going, and a backlog of one cannot keep another waiting behind it.
            chosen AS (
                SELECT id FROM (
                    SELECT candidates.id, candidates.available_at, candidates.created_at, capacity.free,
                           row_number() OVER (PARTITION BY candidates.organization_id ORDER BY candidates.created_at, candidates.id) AS k,
                           capacity.running
                    FROM candidates JOIN capacity ON capacity.id = candidates.organization_id) turns
                WHERE k <= free
                ORDER BY running + k, available_at, created_at, id LIMIT @limit)
            UPDATE runs SET status = 'running', lease_owner = @owner, lease_expires_at = now() + @lease, attempts = runs.attempts + 1,
                            started_at = COALESCE(runs.started_at, now()), updated_at = now()
            FROM chosen WHERE runs.id = chosen.id
            RETURNING runs.id, runs.organization_id, runs.attempts, runs.max_attempts,
                      EXTRACT(EPOCH FROM now() - runs.available_at)::float8 AS wait_seconds, runs.created_at, runs.trace_parent;
            """,
            new
            {
                lockKey = ClaimLockKey, owner, limit, reap, full = cursors is null,
                cursorOrganizations = (cursors ?? []).Select(c => c.OrganizationId).ToArray(),
                cursorCreated = (cursors ?? []).Select(c => c.CreatedAt).ToArray(),
                cursorIds = (cursors ?? []).Select(c => c.RunId).ToArray(), staleSync = queue.StaleSyncRunAfter, lease = queue.LeaseDuration, defaultCap = queue.MaxRunningPerOrganization,
                capSlugs = overrides.Select(o => o.Key).ToArray(), capValues = overrides.Select(o => o.Value.MaxRunning!.Value).ToArray(),
            },
            cancellationToken: cancellationToken));
        await results.ReadAsync();
        var expired = (await results.ReadAsync<Guid>()).Count();
        await results.ReadAsync<Guid>();
        var claimed = (await results.ReadAsync<ClaimedRun>()).ToList();
        return (claimed, expired);
    }

    /// <summary>Renews the leases of the runs this worker drives; returns those it still holds (the others were cancelled or taken over).</summary>
    public async Task<IReadOnlySet<Guid>> HeartbeatAsync(string owner, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var held = await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            UPDATE runs SET lease_expires_at = now() + @lease
            WHERE id = ANY(@ids) AND lease_owner = @owner AND status = 'running'
            RETURNING id
            """,
            new { owner, ids = ids.ToArray(), lease = options.Value.LeaseDuration }, cancellationToken: cancellationToken));
        return held.ToHashSet();
    }

    /// <summary>
    /// Ends this attempt of a run whose step failed: back to the queue after <paramref name="delay"/>, or <c>failed</c> when
    /// it was the last attempt; the error is kept either way. Returns the run's new status (null when the lease was lost).
    /// </summary>
    public async Task<string?> FailAttemptAsync(Guid id, string owner, TimeSpan delay, string error, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            $"""
            UPDATE runs SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                            finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
                            available_at = now() + @delay, last_error = @error,
                            lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            {ReleaseWhere}
            RETURNING status
            """,
            new { id, owner, delay, error }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Gives a run back untouched (a stopping worker, or an agent service that could not take the step): it is claimable
    /// again after <paramref name="delay"/> and the attempt does not count.
    /// </summary>
    public async Task<bool> ReleaseAsync(Guid id, string owner, TimeSpan delay, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            $"""
            UPDATE runs SET status = 'queued', attempts = GREATEST(attempts - 1, 0), available_at = now() + @delay,
                            lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            {ReleaseWhere}
            """,
            new { id, owner, delay }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<QueueDepth> DepthAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<QueueDepth>(new CommandDefinition(
            """
            SELECT count(*) FILTER (WHERE available_at <= now()) AS queued,
                   count(*) FILTER (WHERE available_at > now()) AS delayed,
                   (SELECT count(*) FROM runs WHERE status = 'running') AS running,
                   COALESCE(EXTRACT(EPOCH FROM now() - min(available_at) FILTER (WHERE available_at <= now())), 0)::float8 AS oldestdueseconds
            FROM runs WHERE status = 'queued'
            """,
            cancellationToken: cancellationToken));
    }
}
