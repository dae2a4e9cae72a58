namespace AgentC2.Agent.Tenancy;

public sealed record Organization(Guid Id, string Slug, string Name, DateTime CreatedAt);

public sealed record ApiKeyInfo(Guid Id, Guid OrganizationId, string Name, string Prefix, DateTime CreatedAt, DateTime? RevokedAt);

/// <summary>Who is calling: the organization behind the presented API key.</summary>
public sealed record Caller(Guid OrganizationId, string OrganizationSlug, Guid ApiKeyId);
