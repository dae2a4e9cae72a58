namespace AgentC2.Worker.Queue;

/// <summary>Where a claim resumes in one organization's queue: just after the last run this worker claimed from it.</summary>
internal readonly record struct QueueCursor(Guid OrganizationId, DateTime CreatedAt, Guid RunId);

/// <summary>
/// The position this worker reached in each organization's queue (FIFO by creation, then id). While a backlog lasts, a
/// claim resumes each organization's index scan there instead of at its start: under a long-held snapshot (a report, a
/// stuck transaction) every run claimed since leaves an entry vacuum cannot remove, and a scan from the start walks all
/// of them on every claim. Runs behind a cursor (retries, releases, expired leases, late commits) are found by the full
/// claim that runs at least every <see cref="RunDriver.ReapInterval"/> and whenever the backlog of the known
/// organizations runs out; an organization a run notification names is followed from the start of its queue, and one
/// not claimed from for <see cref="Idle"/> is forgotten.
/// </summary>
internal sealed class QueueCursors(TimeProvider time)
{
    public static readonly TimeSpan Idle = TimeSpan.FromMinutes(1);

    private readonly Dictionary<Guid, (QueueCursor Cursor, long LastClaim)> _cursors = [];

    public int Count => _cursors.Count;

    public IReadOnlyList<QueueCursor> Snapshot() => _cursors.Values.Select(entry => entry.Cursor).ToList();

    /// <summary>Moves each organization's cursor to the last run claimed from it (never backwards).</summary>
    public void Advance(IEnumerable<ClaimedRun> claimed)
    {
        var now = time.GetTimestamp();
        foreach (var run in claimed)
        {
            var cursor = new QueueCursor(run.OrganizationId, run.CreatedAt, run.Id);
            if (!_cursors.TryGetValue(run.OrganizationId, out var known) || Compare(cursor, known.Cursor) > 0)
            {
                _cursors[run.OrganizationId] = (cursor, now);
            }
            else
            {
                _cursors[run.OrganizationId] = (known.Cursor, now);
            }
        }
    }

    /// <summary>Follows an organization a notification named, from the start of its queue (kept where already followed).</summary>
    public void Follow(Guid organization)
    {
        if (!_cursors.ContainsKey(organization))
        {
            _cursors[organization] = (new QueueCursor(organization, DateTime.UnixEpoch, Guid.Empty), time.GetTimestamp());
        }
    }

    /// <summary>Forgets the organizations this worker has not claimed from for <see cref="Idle"/>.</summary>
    public void ForgetIdle()
    {
        foreach (var (organization, entry) in _cursors.Where(pair => time.GetElapsedTime(pair.Value.LastClaim) >= Idle).ToList())
        {
            _cursors.Remove(organization);
        }
    }

    // PostgreSQL's order of (created_at, id): Guid.CompareTo orders uuids as their text (and PostgreSQL) does.
    private static int Compare(QueueCursor left, QueueCursor right)
    {
        var byTime = left.CreatedAt.CompareTo(right.CreatedAt);
        return byTime != 0 ? byTime : left.RunId.CompareTo(right.RunId);
    }
}
