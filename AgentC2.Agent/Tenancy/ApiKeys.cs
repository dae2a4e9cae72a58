using System.Security.Cryptography;
using System.Text;

namespace AgentC2.Agent.Tenancy;

/// <summary>
/// API keys are <c>ac2_</c> plus 40 random base-62 characters (about 238 bits). Only their SHA-256
/// hash is stored: a key of that entropy needs no slow hash, and lookups stay one indexed read.
/// </summary>
internal static class ApiKeys
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string Scheme = "ac2_";

    public static string Generate() => Scheme + RandomNumberGenerator.GetString(Alphabet, 40);

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The first characters of a key, kept so operators can tell keys apart without the secret.</summary>
    public static string Prefix(string key) => key.Length <= 12 ? key[..Math.Min(4, key.Length)] : key[..12];

    public static bool Matches(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(Hash(presented), Hash(expected));
}
