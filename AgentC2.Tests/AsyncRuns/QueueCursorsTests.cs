extern alias WorkerService;
using Microsoft.Extensions.Time.Testing;
using WorkerService::AgentC2.Worker.Queue;

namespace AgentC2.Tests.AsyncRuns;

public sealed class QueueCursorsTests
{
    private static readonly Guid Organization = Guid.NewGuid();
    private static readonly DateTime Created = new(2026, 12, 3, 8, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_cursor_moves_to_the_last_run_claimed_in_PostgreSQLs_order_and_never_back()
    {
        var cursors = new QueueCursors(new FakeTimeProvider());

        // Same creation time: PostgreSQL orders the ids as their text, where 01000000-… comes after 00000001-…
        // (their little-endian bytes would say the opposite).
        var low = Guid.Parse("00000001-0000-0000-0000-000000000000");
        var high = Guid.Parse("01000000-0000-0000-0000-000000000000");
        cursors.Advance([Claimed(high, Created), Claimed(low, Created)]);
        Assert.Equal(new QueueCursor(Organization, Created, high), Assert.Single(cursors.Snapshot()));

        cursors.Advance([Claimed(Guid.NewGuid(), Created.AddSeconds(-1))]);
        Assert.Equal(high, Assert.Single(cursors.Snapshot()).RunId);

        var later = Guid.NewGuid();
        cursors.Advance([Claimed(later, Created.AddTicks(10))]);
        Assert.Equal(later, Assert.Single(cursors.Snapshot()).RunId);
    }

    [Fact]
    public void A_notified_organization_is_followed_from_the_start_of_its_queue_and_a_followed_one_keeps_its_place()
    {
        var cursors = new QueueCursors(new FakeTimeProvider());
        var other = Guid.NewGuid();
        var run = Guid.NewGuid();
        cursors.Advance([Claimed(run, Created)]);

        cursors.Follow(other);
        cursors.Follow(Organization);

        Assert.Equal(
            [new QueueCursor(Organization, Created, run), new QueueCursor(other, DateTime.UnixEpoch, Guid.Empty)],
            cursors.Snapshot().OrderBy(c => c.CreatedAt == DateTime.UnixEpoch));
    }

    [Fact]
    public void An_organization_not_claimed_from_for_a_minute_is_forgotten()
    {
        var time = new FakeTimeProvider();
        var cursors = new QueueCursors(time);
        var quiet = Guid.NewGuid();
        cursors.Follow(quiet);
        cursors.Advance([Claimed(Guid.NewGuid(), Created)]);

        time.Advance(QueueCursors.Idle - TimeSpan.FromSeconds(1));
        cursors.Advance([Claimed(Guid.NewGuid(), Created.AddSeconds(1))]);
        cursors.ForgetIdle();
        Assert.Equal(2, cursors.Count);

        time.Advance(TimeSpan.FromSeconds(1));
        cursors.ForgetIdle();
        Assert.Equal(Organization, Assert.Single(cursors.Snapshot()).OrganizationId);
    }

    private static ClaimedRun Claimed(Guid id, DateTime created) => new(id, Organization, 1, 5, 0, created);
}
