//! Secret detection (rule catalog §4, rules SA401 / SA402 / SA405 / SA411).
//!
//! Pure functions only: no I/O, no global mutable state besides regexes that are compiled once.
//!
//! * [`find_credentials`] — high-confidence provider / format patterns (§4.2) with the
//!   false-positive filters of §4.2 / §4.4 (placeholder words, `…EXAMPLE` AWS keys, known
//!   documentation sample tokens, JWT header validation).
//! * [`find_high_entropy`] — gated generic entropy detection for values of keys that are *not*
//!   secret-named (§4.3 "Proposed swarmaudit policy").
//! * [`is_secret_name`] / [`is_non_secret_value`] — the §4.1 name heuristic and value filter.
//! * [`find_url_credentials`] — passwords embedded in URLs (SA405).
//! * [`mask`] — a redacted hint that is safe to print.
//!
//! Nothing in this module stores secret text: [`Detection`] only carries byte ranges, so its
//! `Debug` output can never leak a credential.

use regex::Regex;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// What kind of credential a detector found; `label()` gives a short human name such as
/// "AWS access key id".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretKind {
    AwsAccessKeyId,
    AwsSecretKey,
    GithubToken,
    GithubFineGrainedPat,
    GitlabPat,
    SlackToken,
    SlackWebhook,
    PrivateKey,
    Jwt,
    GoogleApiKey,
    StripeKey,
    NpmToken,
    PypiToken,
    SendgridKey,
    DigitalOceanToken,
    VaultToken,
    DockerHubPat,
    SwarmJoinToken,
    SwarmUnlockKey,
    HighEntropy,
}

impl SecretKind {
    /// Every kind, in declaration order.
    pub const ALL: [SecretKind; 20] = [
        SecretKind::AwsAccessKeyId,
        SecretKind::AwsSecretKey,
        SecretKind::GithubToken,
        SecretKind::GithubFineGrainedPat,
        SecretKind::GitlabPat,
        SecretKind::SlackToken,
        SecretKind::SlackWebhook,
        SecretKind::PrivateKey,
        SecretKind::Jwt,
        SecretKind::GoogleApiKey,
        SecretKind::StripeKey,
        SecretKind::NpmToken,
        SecretKind::PypiToken,
        SecretKind::SendgridKey,
        SecretKind::DigitalOceanToken,
        SecretKind::VaultToken,
        SecretKind::DockerHubPat,
        SecretKind::SwarmJoinToken,
        SecretKind::SwarmUnlockKey,
        SecretKind::HighEntropy,
    ];

    /// Short human-readable name of the credential kind.
    pub fn label(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "AWS access key id",
            SecretKind::AwsSecretKey => "AWS secret access key",
            SecretKind::GithubToken => "GitHub token",
            SecretKind::GithubFineGrainedPat => "GitHub fine-grained personal access token",
            SecretKind::GitlabPat => "GitLab personal access token",
            SecretKind::SlackToken => "Slack token",
            SecretKind::SlackWebhook => "Slack webhook URL",
            SecretKind::PrivateKey => "private key",
            SecretKind::Jwt => "JSON Web Token",
            SecretKind::GoogleApiKey => "Google API key",
            SecretKind::StripeKey => "Stripe secret key",
            SecretKind::NpmToken => "npm access token",
            SecretKind::PypiToken => "PyPI API token",
            SecretKind::SendgridKey => "SendGrid API key",
            SecretKind::DigitalOceanToken => "DigitalOcean token",
            SecretKind::VaultToken => "HashiCorp Vault token",
            SecretKind::DockerHubPat => "Docker Hub access token",
            SecretKind::SwarmJoinToken => "Swarm join token",
            SecretKind::SwarmUnlockKey => "Swarm unlock key",
            SecretKind::HighEntropy => "high-entropy string",
        }
    }

    /// Provider/format matches are high confidence; JWTs (often public "anon" keys) and
    /// generic entropy hits are not.
    pub fn is_high_confidence(self) -> bool {
        !matches!(self, SecretKind::Jwt | SecretKind::HighEntropy)
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One detection inside `text`: byte range of the matched secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub kind: SecretKind,
    pub start: usize,
    pub end: usize,
}

// ---------------------------------------------------------------------------------------------
// Provider / format patterns (§4.2)
// ---------------------------------------------------------------------------------------------

struct DetectorSpec {
    kind: SecretKind,
    /// RE2-style pattern for the `regex` crate (no look-around).
    pattern: &'static str,
    /// Capture group holding the secret; 0 = the whole match.
    group: usize,
}

/// `(?-u:\b)` is an ASCII word boundary: it keeps the lazy DFA usable on non-ASCII input and
/// every pattern's match still starts and ends on an ASCII character (a char boundary).
const DETECTORS: &[DetectorSpec] = &[
    DetectorSpec {
        kind: SecretKind::AwsAccessKeyId,
        pattern: r"(?-u:\b)(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?-u:\b)",
        group: 0,
    },
    DetectorSpec {
        // detect-secrets' keyed rule, extended to unquoted `KEY=value` / `key: value` forms.
        // The trailing group replaces a look-ahead: the value must be exactly 40 characters.
        kind: SecretKind::AwsSecretKey,
        pattern: r#"(?i)aws.{0,20}?(?:key|pwd|pw|password|pass|token|secret).{0,20}?[\s'"=:]([0-9a-z/+]{40})(?:[^0-9a-z/+=]|$)"#,
        group: 1,
    },
    DetectorSpec {
        kind: SecretKind::GithubToken,
        pattern: r"(?-u:\b)gh[pousr]_[0-9A-Za-z]{36}(?-u:\b)",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::GithubFineGrainedPat,
        pattern: r"(?-u:\b)github_pat_[0-9A-Za-z_]{82}(?-u:\b)",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::GitlabPat,
        pattern: r"(?-u:\b)glpat-[0-9A-Za-z_-]{20,300}(?:\.[0-9a-z]{9})?",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::SlackToken,
        pattern: r"(?-u:\b)(?:xox[abeoprs]-[0-9A-Za-z-]{10,}|xapp-[0-9]-[0-9A-Za-z]+-[0-9]+-[0-9A-Za-z]+)",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::SlackWebhook,
        pattern: r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}",
        group: 0,
    },
    DetectorSpec {
        // Full block when the END line is present, else the header alone (truncated values).
        // PUBLIC KEY / CERTIFICATE blocks never match "PRIVATE KEY".
        kind: SecretKind::PrivateKey,
        pattern: r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)?|PuTTY-User-Key-File-[0-9]+: *[A-Za-z0-9@.-]+",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::Jwt,
        pattern: r"(?-u:\b)ey[A-Za-z0-9_-]{17,}\.ey[A-Za-z0-9/\\_-]{17,}\.(?:[A-Za-z0-9/\\_-]{10,}={0,2})?",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::GoogleApiKey,
        pattern: r"(?-u:\b)AIza[0-9A-Za-z_-]{35}",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::StripeKey,
        pattern: r"(?-u:\b)(?:sk|rk)_(?:test|live|prod)_[0-9A-Za-z]{10,99}",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::NpmToken,
        pattern: r"(?i)(?-u:\b)npm_[a-z0-9]{36}(?-u:\b)",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::PypiToken,
        pattern: r"pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{50,1000}",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::SendgridKey,
        pattern: r"(?-u:\b)SG\.[0-9A-Za-z=_.-]{66}",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::DigitalOceanToken,
        pattern: r"(?-u:\b)do[opr]_v1_[a-f0-9]{64}",
        group: 0,
    },
    DetectorSpec {
        // `s.` (legacy) tokens are noisy: accepted only with "vault" context (see `accept`).
        kind: SecretKind::VaultToken,
        pattern: r"(?-u:\b)(?:hv[sb]\.[0-9A-Za-z_-]{90,}|s\.[0-9A-Za-z]{24}(?-u:\b))",
        group: 0,
    },
    DetectorSpec {
        kind: SecretKind::DockerHubPat,
        pattern: r"(?-u:\b)dckr_(?:pat|oat)_[0-9A-Za-z_-]{20,}",
        group: 0,
    },
    DetectorSpec {
        // swarmkit: SWMTKN-1-<50 base36 CA digest>-<25 base36 secret>; FIPS: SWMTKN-2-[01]-…
        kind: SecretKind::SwarmJoinToken,
        pattern: r"(?-u:\b)SWMTKN-(?:1|2-[01])-[0-9a-z]{50}-[0-9a-z]{25}(?-u:\b)",
        group: 0,
    },
    DetectorSpec {
        // 32 raw bytes, unpadded standard base64 = 43 characters.
        kind: SecretKind::SwarmUnlockKey,
        pattern: r"((?-u:\b)SWMKEY-1-[A-Za-z0-9+/]{43})(?:[^A-Za-z0-9+/=]|$)",
        group: 1,
    },
];

// candidates are a bit set
const _: () = assert!(DETECTORS.len() <= 64);

/// Shortest text any detector can match ("xoxb-" + 10 characters); shorter input is skipped.
const MIN_CREDENTIAL_LEN: usize = 15;

/// The detectors, ready to search: a literal prefilter that says which detectors can match a
/// text, and each detector's regex, compiled when the prefilter first sends text to it.
///
/// A `RegexSet` of all the patterns did the prefilter's job before; compiling it took about
/// 6 ms, the largest fixed cost of a run, and every thread that needed it waited for it.
struct CompiledDetectors {
    /// Aho-Corasick automaton over every detector's prefix literals.
    prefilter: aho_corasick::AhoCorasick,
    /// The detector each literal of `prefilter` belongs to (indexed by its pattern id).
    owner: Vec<usize>,
    /// Bit set of the detectors whose patterns yield no usable literal: searched in every text.
    always: u64,
    /// Each detector's own regex, compiled on first use: most runs need few of them.
    regexes: Vec<std::sync::OnceLock<Regex>>,
}

/// Every match of `pattern` starts with one of these literals; `None` when no such finite,
/// non-empty set is known. Extracted from the pattern itself by regex-syntax, the way the
/// regex crate finds its own prefilters, so they cannot drift from the pattern.
fn prefix_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

static CREDENTIAL_DETECTORS: LazyLock<CompiledDetectors> = LazyLock::new(|| {
    let mut literals: Vec<Vec<u8>> = vec![];
    let mut owner = vec![];
    let mut always = 0u64;
    for (i, d) in DETECTORS.iter().enumerate() {
        match prefix_literals(d.pattern) {
            Some(lits) => {
                owner.extend(std::iter::repeat_n(i, lits.len()));
                literals.extend(lits);
            }
            None => always |= 1 << i,
        }
    }
    let prefilter = aho_corasick::AhoCorasick::new(&literals)
        .expect("a few hundred short literals build an automaton");
    let regexes = DETECTORS
        .iter()
        .map(|_| std::sync::OnceLock::new())
        .collect();
    CompiledDetectors {
        prefilter,
        owner,
        always,
        regexes,
    }
});

impl CompiledDetectors {
    /// Bit `i` set: detector `i` may match `text` (its literal occurs, or it has none).
    fn candidates(&self, text: &str) -> u64 {
        let mut bits = self.always;
        for m in self.prefilter.find_overlapping_iter(text) {
            if let Some(i) = self.owner.get(m.pattern().as_usize()) {
                bits |= 1 << i;
            }
        }
        bits
    }
}

static JWT_ALG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""alg"\s*:\s*"([^"\\]*)""#).expect("constant JWT alg pattern compiles")
});

/// Well-known documentation sample values (Docker docs / API reference, jwt.io). Matching on a
/// distinctive fragment also covers the manager/worker variants of the same sample swarm.
const KNOWN_SAMPLES: &[&str] = &[
    // Docker docs swarm tutorial / `docker swarm join` reference CA digests.
    "3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl",
    "49nj1cmql0jkz5s954yi3oex3nedyz0fb0xx14ie39trti4wxv",
    // Docker docs / Engine API unlock-key examples.
    "SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8",
    "SWMKEY-1-WuYH/IX284+lRcXuoVf38viIDK3HJEKY13MIHX+tTt8",
    // jwt.io default token signature.
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
];

/// Placeholder words (trufflehog-style) matched case-insensitively.
const PLACEHOLDER_WORDS: &[&str] = &["example", "sample", "xxxxxx", "*****"];
/// Repetition / sequence placeholders; not applied to formats whose encoding naturally
/// contains long runs (PEM bodies, PyPI macaroons).
const FILLER_WORDS: &[&str] = &["aaaaaa", "abcde", "00000"];

fn looks_like_placeholder(secret: &str, kind: SecretKind) -> bool {
    let lower = secret.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    if !matches!(kind, SecretKind::PrivateKey | SecretKind::PypiToken)
        && FILLER_WORDS.iter().any(|w| lower.contains(w))
    {
        return true;
    }
    false
}

/// Per-kind validation of a raw regex match.
fn accept(kind: SecretKind, secret: &str, text: &str, start: usize) -> bool {
    if kind == SecretKind::PrivateKey {
        // A private-key header is a finding even when truncated or filled with dummy text.
        return true;
    }
    if looks_like_placeholder(secret, kind) || KNOWN_SAMPLES.iter().any(|s| secret.contains(s)) {
        return false;
    }
    match kind {
        SecretKind::AwsAccessKeyId => shannon_entropy(secret) >= 3.0,
        SecretKind::AwsSecretKey => {
            // trufflehog: entropy >= 4.25 and not hash-looking (40 hex = SHA-1).
            !secret.bytes().all(|b| b.is_ascii_hexdigit()) && shannon_entropy(secret) >= 4.25
        }
        SecretKind::SlackToken => secret.bytes().any(|b| b.is_ascii_digit()),
        SecretKind::Jwt => shannon_entropy(secret) >= 3.0 && jwt_header_is_valid(secret),
        SecretKind::GoogleApiKey => shannon_entropy(secret) >= 4.0,
        SecretKind::VaultToken => match secret.strip_prefix("s.") {
            Some(body) => shannon_entropy(body) >= 3.5 && has_vault_context(text, start),
            None => true,
        },
        _ => true,
    }
}

/// True when "vault" (any case) occurs shortly before `start`, e.g. `VAULT_TOKEN=s.…`.
fn has_vault_context(text: &str, start: usize) -> bool {
    const WINDOW: usize = 128;
    let mut from = start.saturating_sub(WINDOW);
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    text.get(from..start)
        .is_some_and(|prefix| prefix.to_ascii_lowercase().contains("vault"))
}

/// The JWT header must base64url-decode to a JSON object with a string `alg` other than `none`.
fn jwt_header_is_valid(token: &str) -> bool {
    let Some(header) = token.split('.').next() else {
        return false;
    };
    let Some(bytes) = base64_decode(header) else {
        return false;
    };
    let Ok(json) = std::str::from_utf8(&bytes) else {
        return false;
    };
    let json = json.trim();
    if !(json.starts_with('{') && json.ends_with('}')) {
        return false;
    }
    match JWT_ALG.captures(json).and_then(|c| c.get(1)) {
        Some(alg) => !alg.as_str().trim().eq_ignore_ascii_case("none"),
        None => false,
    }
}

/// Lenient base64 decoder accepting both the standard and the URL-safe alphabet, with or
/// without padding. Returns `None` on any other character or an impossible length.
fn base64_decode(input: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4 + 1);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let mut count = 0usize;
    for b in input.trim_end_matches('=').bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        count += 1;
        if bits >= 8 {
            bits -= 8;
            // Truncation to the low byte is the point here.
            out.push(((acc >> bits) & 0xFF) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if count % 4 == 1 {
        return None;
    }
    Some(out)
}

/// Sort by start (longest first on ties) and drop detections overlapping an earlier kept one.
fn resolve_overlaps(mut found: Vec<Detection>) -> Vec<Detection> {
    found.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then_with(|| (b.end - b.start).cmp(&(a.end - a.start)))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    let mut out: Vec<Detection> = Vec::with_capacity(found.len());
    for d in found {
        match out.last() {
            Some(last) if d.start < last.end => {}
            _ => out.push(d),
        }
    }
    out
}

/// Provider/format patterns (catalog §4.2 table, incl. swarm join token `SWMTKN-…` and unlock
/// key `SWMKEY-1-…`) in any string.
///
/// Applies the false-positive filters of §4.2/§4.4 (`…EXAMPLE` AWS keys, placeholder words
/// like "example", "xxxxxx", "sample", "*****", known documentation sample tokens; PUBLIC KEY /
/// CERTIFICATE blocks are not secrets; the JWT header must base64url-decode to JSON containing
/// "alg" and alg != "none"). Does NOT do generic entropy detection. Results are sorted by
/// start and non-overlapping (the first, then longest, match wins).
pub fn find_credentials(text: &str) -> Vec<Detection> {
    if text.len() < MIN_CREDENTIAL_LEN {
        return Vec::new();
    }
    let compiled = &*CREDENTIAL_DETECTORS;
    let hits = compiled.candidates(text);
    if hits == 0 {
        return Vec::new();
    }
    let mut found = Vec::new();
    for idx in (0..DETECTORS.len()).filter(|i| hits & (1 << i) != 0) {
        let (Some(spec), Some(re)) = (DETECTORS.get(idx), compiled.regexes.get(idx)) else {
            continue;
        };
        let re = re
            .get_or_init(|| Regex::new(spec.pattern).expect("constant detector pattern compiles"));
        let mut consider = |start: usize, end: usize| {
            if let Some(secret) = text.get(start..end) {
                if accept(spec.kind, secret, text, start) {
                    found.push(Detection {
                        kind: spec.kind,
                        start,
                        end,
                    });
                }
            }
        };
        if spec.group == 0 {
            for m in re.find_iter(text) {
                consider(m.start(), m.end());
            }
        } else {
            for caps in re.captures_iter(text) {
                if let Some(m) = caps.get(spec.group) {
                    consider(m.start(), m.end());
                }
            }
        }
    }
    resolve_overlaps(found)
}

// ---------------------------------------------------------------------------------------------
// Generic entropy detection (§4.3)
// ---------------------------------------------------------------------------------------------

/// Shannon entropy in bits per character (`H = −Σ p(c)·log2 p(c)` over the chars of `s`);
/// 0.0 for the empty string.
pub fn shannon_entropy(s: &str) -> f64 {
    let mut ascii = [0usize; 128];
    let mut other: HashMap<char, usize> = HashMap::new();
    let mut total = 0usize;
    for c in s.chars() {
        total += 1;
        match usize::try_from(u32::from(c)) {
            Ok(i) if i < 128 => ascii[i] += 1,
            _ => *other.entry(c).or_insert(0) += 1,
        }
    }
    if total == 0 {
        return 0.0;
    }
    let n = total as f64;
    ascii
        .iter()
        .copied()
        .chain(other.values().copied())
        .filter(|&count| count > 0)
        .map(|count| {
            let p = count as f64 / n;
            -p * p.log2()
        })
        .sum()
}

const MIN_ENTROPY_TOKEN_LEN: usize = 20;
const BASE64_ENTROPY_THRESHOLD: f64 = 4.5;
const HEX_ENTROPY_THRESHOLD: f64 = 3.0;
const MIN_HEX_TOKEN_LEN: usize = 32;

/// Sequences (upper-cased) a token must not be a substring of — detect-secrets'
/// `is_sequential_string`.
const SEQUENCES: &[&str] = &[
    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ+/",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789ABCDEF0123456789ABCDEF",
    "1234567890QWERTYUIOPASDFGHJKLZXCVBNM1234567890QWERTYUIOPASDFGHJKLZXCVBNM",
];

fn is_token_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '=' | ',' | ';')
}

const TOKEN_TRIM: &[char] = &['(', ')', '[', ']', '{', '}', '<', '>'];

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

fn is_uuid(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_sequential(t: &str) -> bool {
    let upper = t.to_ascii_uppercase();
    SEQUENCES.iter().any(|seq| seq.contains(upper.as_str()))
}

/// Path-like tokens (`/etc/…`, `./x`, `~/x`, `a://b`, `org/repo/name`) are not secrets.
/// A token with '/' counts as a path when every segment is a lower-case word, so random
/// base64 (which mixes cases) that happens to contain '/' is still examined.
fn looks_like_path(t: &str) -> bool {
    if t.starts_with('/') || t.starts_with('~') || t.starts_with('.') || t.contains("://") {
        return true;
    }
    t.contains('/')
        && t.split('/').all(|seg| {
            !seg.is_empty()
                && seg.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
                })
        })
}

fn is_high_entropy_token(t: &str) -> bool {
    let bytes = t.as_bytes();
    if bytes.len() < MIN_ENTROPY_TOKEN_LEN || !bytes.iter().all(|&b| is_base64_char(b)) {
        return false;
    }
    if !bytes.iter().any(u8::is_ascii_digit) {
        return false;
    }
    if looks_like_placeholder(t, SecretKind::HighEntropy) || is_uuid(t) {
        return false;
    }
    if bytes.iter().all(u8::is_ascii_hexdigit) {
        // 40 hex = git commit SHA; short hex strings cannot carry enough entropy.
        if bytes.len() < MIN_HEX_TOKEN_LEN || bytes.len() == 40 || is_sequential(t) {
            return false;
        }
        let mut entropy = shannon_entropy(t);
        if bytes.iter().all(u8::is_ascii_digit) {
            // detect-secrets penalises all-digit "hex" strings.
            entropy -= 1.2 / (bytes.len() as f64).log2();
        }
        return entropy >= HEX_ENTROPY_THRESHOLD;
    }
    if looks_like_path(t) || is_sequential(t) {
        return false;
    }
    shannon_entropy(t) >= BASE64_ENTROPY_THRESHOLD
}

fn check_entropy_token(text: &str, start: usize, end: usize, out: &mut Vec<Detection>) {
    let Some(raw) = text.get(start..end) else {
        return;
    };
    let left_trimmed = raw.trim_start_matches(TOKEN_TRIM);
    let token = left_trimmed.trim_end_matches(TOKEN_TRIM);
    let token_start = start + (raw.len() - left_trimmed.len());
    if token.contains("sha256:") || token.contains("sha512:") {
        return;
    }
    if is_high_entropy_token(token) {
        out.push(Detection {
            kind: SecretKind::HighEntropy,
            start: token_start,
            end: token_start + token.len(),
        });
    }
}

/// Generic high-entropy token check for values of NON-secret-named keys (labels, command
/// args), catalog §4.3 "Proposed swarmaudit policy".
///
/// `text` is split into tokens on whitespace, quotes, '=', ',' and ';' (brackets are trimmed
/// from token ends). A token is reported when it is at least 20 characters of the base64 /
/// base64url charset, contains a digit, and has Shannon entropy >= 4.5 — or, for hex tokens of
/// length >= 32, entropy >= 3.0. Excluded: `sha256:` digests, UUIDs, 40-hex git SHAs,
/// sequential strings, URLs / paths, placeholder words. Returns `HighEntropy` detections.
pub fn find_high_entropy(text: &str) -> Vec<Detection> {
    let mut out = Vec::new();
    let mut token_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_token_separator(c) {
            if let Some(s) = token_start.take() {
                check_entropy_token(text, s, i, &mut out);
            }
        } else if token_start.is_none() {
            token_start = Some(i);
        }
    }
    if let Some(s) = token_start {
        check_entropy_token(text, s, text.len(), &mut out);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Name heuristic and value filter (§4.1)
// ---------------------------------------------------------------------------------------------

/// §4.1 NAME_SECRET on the normalised (upper-case, '_'-separated) name. Additionally accepts
/// glued `…PASSWORD` forms such as libpq's `PGPASSWORD`.
static NAME_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:^|_)(?:PASS(?:WORD|WD|PHRASE)?|PWD|SECRET|TOKEN|API_?KEY|APIKEY|ACCESS_?KEY|",
        r"PRIVATE_?KEY|PRIV_?KEY|CLIENT_?SECRET|AUTH_?(?:KEY|TOKEN)|CREDENTIAL|CREDS|",
        r"SESSION_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|MASTER_?KEY|SALT|DSN|",
        r"CONN(?:ECTION)?_?STR(?:ING)?|DATABASE_?URL|DB_?PASS|[A-Z0-9]*PASS(?:WORD|WD|PHRASE))",
        r"(?:_|$)"
    ))
    .expect("constant NAME_SECRET pattern compiles")
});

/// §4.1 NAME_EXCLUDE.
static NAME_EXCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"_(?:FILE|PATH|DIR|NAME|ID|USER(?:NAME)?|LENGTH|MIN|MAX|SIZE|TTL|TIMEOUT|EXPIRY|",
        r"EXPIRES|ENABLED|REQUIRED|HEADER|ALGORITHM|TYPE|PORT|HOST|URL_FILE)$"
    ))
    .expect("constant NAME_EXCLUDE pattern compiles")
});

/// camelCase → snake, '.'/'-' → '_', upper-case. `dbPassword`, `db.password`, `DB-PASSWORD`
/// all become `DB_PASSWORD`; `APIKey` becomes `API_KEY`.
fn normalize_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    let camel = chars.iter().any(|c| c.is_lowercase());
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '.' | '-') || c.is_whitespace() {
            out.push('_');
            continue;
        }
        if camel && c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        out.extend(c.to_uppercase());
    }
    out
}

/// Builds what every scan uses of this module (the credential prefilter, the secret-name
/// patterns) ahead of the first question.
pub fn warm_up() {
    LazyLock::force(&CREDENTIAL_DETECTORS);
    LazyLock::force(&NAME_SECRET);
    LazyLock::force(&NAME_EXCLUDE);
}

/// §4.1 name heuristic: normalise (camelCase → snake, '.'/'-' → '_', upper-case), then
/// NAME_SECRET matches and NAME_EXCLUDE does not.
///
/// `DB_PASSWORD`, `dbPassword`, `db.password`, `API_KEY`, `SECRET_KEY_BASE`, `JWT_SECRET`,
/// `AUTH_TOKEN`, `DATABASE_URL` → true; `POSTGRES_USER`, `DB_PASSWORD_FILE`, `TOKEN_TTL`,
/// `PASSWORD_MIN_LENGTH`, `AWS_ACCESS_KEY_ID`, `SECRET_NAME`, `AUTH_ENABLED` → false.
pub fn is_secret_name(name: &str) -> bool {
    // Names repeat across the rules that ask, the services and the files of a run
    // (POSTGRES_PASSWORD, TZ, …), and the answer depends on the name alone: remembered per
    // thread, at most `NAME_MEMO` of them.
    const NAME_MEMO: usize = 4096;
    thread_local! {
        static SEEN: std::cell::RefCell<foldhash::HashMap<Box<str>, bool>> =
            std::cell::RefCell::new(foldhash::HashMap::default());
    }
    SEEN.with(|seen| {
        if let Some(&known) = seen.borrow().get(name) {
            return known;
        }
        let normalized = normalize_name(name);
        let secret = NAME_SECRET.is_match(&normalized) && !NAME_EXCLUDE.is_match(&normalized);
        let mut seen = seen.borrow_mut();
        if seen.len() >= NAME_MEMO {
            seen.clear();
        }
        seen.insert(name.into(), secret);
        secret
    })
}

/// Nesting limit for `${A:-${B:-…}}` defaults, so hostile input cannot exhaust the stack.
const MAX_REFERENCE_DEPTH: usize = 8;

/// §4.1 value filter: true when the literal value is NOT a credential.
///
/// Empty; only `${…}` / `$VAR` references (a `${VAR:-default}` whose default is itself a
/// literal credential does not count); `/run/secrets/…` or
/// `C:\ProgramData\Docker\secrets\…` paths; booleans (`true/false/yes/no/on/off/null`, any
/// case); pure integers of <= 8 digits; `<…>`, `{…}`, `{{ … }}` and `%VAR%` templates;
/// `vault:`, `arn:aws:secretsmanager:` (and SSM), `op://` references; values consisting only of
/// '*', 'x', 'X' or '.'. Weak literals such as "postgres", "changeme", "admin" are NOT
/// placeholders: in a deploy file they are real credentials.
pub fn is_non_secret_value(value: &str) -> bool {
    non_secret_value_at_depth(value, 0)
}

fn non_secret_value_at_depth(value: &str, depth: usize) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    if is_reference_only(v, depth) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("/run/secrets/")
        || lower.starts_with("c:\\programdata\\docker\\secrets\\")
        || lower.starts_with("c:/programdata/docker/secrets/")
    {
        return true;
    }
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null"
    ) {
        return true;
    }
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if !digits.is_empty() && digits.len() <= 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    if is_template(v) || is_secret_manager_reference(&lower) {
        return true;
    }
    is_mask_only(v)
}

fn is_mask_only(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| matches!(c, '*' | 'x' | 'X' | '.'))
}

fn is_template(v: &str) -> bool {
    if v.len() >= 4 && v.starts_with("{{") && v.ends_with("}}") {
        return true;
    }
    if let Some(inner) = v.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
        return !inner.trim().is_empty() && !inner.contains(['<', '>']);
    }
    if let Some(inner) = v.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        // `{password}` / `{DB_PASSWORD}` — but not a JSON object such as {"pw":"hunter2"}.
        let inner = inner.trim();
        return !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ' '));
    }
    if let Some(inner) = v.strip_prefix('%').and_then(|r| r.strip_suffix('%')) {
        return !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_');
    }
    false
}

fn is_secret_manager_reference(lower: &str) -> bool {
    if lower.starts_with("vault:") || lower.starts_with("op://") {
        return true;
    }
    // arn:<partition>:<service>:… — aws, aws-cn, aws-us-gov partitions.
    let mut parts = lower.split(':');
    parts.next() == Some("arn")
        && parts.next().is_some_and(|p| p.starts_with("aws"))
        && parts
            .next()
            .is_some_and(|s| s == "secretsmanager" || s == "ssm")
}

fn is_var_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_var_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// True when `v` consists only of `$VAR` / `${…}` references (also `$$`-escaped ones),
/// optionally joined by punctuation such as ':' or '/'. Literal letters or digits anywhere
/// outside a reference make it a literal.
fn is_reference_only(v: &str, depth: usize) -> bool {
    if depth > MAX_REFERENCE_DEPTH {
        return false;
    }
    let chars: Vec<(usize, char)> = v.char_indices().collect();
    let mut i = 0;
    let mut refs = 0usize;
    while i < chars.len() {
        let c = chars[i].1;
        if c != '$' {
            if c.is_alphanumeric() {
                return false;
            }
            i += 1;
            continue;
        }
        // `$$VAR` is the compose escape for a literal `$VAR`: still a reference, not a value.
        let mut j = i + 1;
        if chars.get(j).map(|p| p.1) == Some('$') {
            j += 1;
        }
        match chars.get(j).map(|p| p.1) {
            Some('{') => match braced_reference_end(v, &chars, j, depth) {
                Some(next) => {
                    refs += 1;
                    i = next;
                }
                None => return false,
            },
            Some(n) if is_var_start(n) => {
                let mut k = j + 1;
                while chars.get(k).is_some_and(|p| is_var_char(p.1)) {
                    k += 1;
                }
                refs += 1;
                i = k;
            }
            _ => return false,
        }
    }
    refs > 0
}

/// Parses `${NAME[modifier word]}` starting at the '{' at `chars[open]`; returns the index
/// after the closing '}' when it is a valid reference whose default (if any) is not itself a
/// literal credential.
fn braced_reference_end(
    v: &str,
    chars: &[(usize, char)],
    open: usize,
    depth: usize,
) -> Option<usize> {
    let mut k = open + 1;
    if !chars.get(k).is_some_and(|p| is_var_start(p.1)) {
        return None;
    }
    while chars.get(k).is_some_and(|p| is_var_char(p.1)) {
        k += 1;
    }
    let close = matching_brace(chars, open)?;
    if k == close {
        return Some(close + 1);
    }
    // Modifier: `:-` `-` `:+` `+` carry a substitute word; `:?` `?` carry an error message.
    let rest_start = chars.get(k)?.0;
    let rest_end = chars.get(close)?.0;
    let rest = v.get(rest_start..rest_end)?;
    let (carries_value, word) = if let Some(w) = rest.strip_prefix(":-").or(rest.strip_prefix(":+"))
    {
        (true, w)
    } else if let Some(w) = rest.strip_prefix(":?").or(rest.strip_prefix('?')) {
        (false, w)
    } else if let Some(w) = rest.strip_prefix('-').or(rest.strip_prefix('+')) {
        (true, w)
    } else {
        return None;
    };
    if carries_value && !non_secret_value_at_depth(word, depth + 1) {
        return None;
    }
    Some(close + 1)
}

fn matching_brace(chars: &[(usize, char)], open: usize) -> Option<usize> {
    let mut level = 0usize;
    for (idx, &(_, c)) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => level += 1,
            '}' => {
                level = level.saturating_sub(1);
                if level == 0 {
                    return Some(idx);
                }
            }
            _ => {}
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// URL credentials (SA405)
// ---------------------------------------------------------------------------------------------

static URL_SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z][A-Za-z0-9+.\-]{0,15}://").expect("constant URL scheme pattern compiles")
});

/// Characters that end a URL authority (WHATWG: '/', '?', '#'), plus delimiters that end a URL
/// embedded in prose, shell or JSON.
fn ends_authority(c: char) -> bool {
    c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>' | '\\')
}

/// Known public test hosts whose URLs carry demo credentials.
const TEST_HOSTS: &[&str] = &["httpbin.org"];

/// Credentials in a URL (catalog SA405 + §4.2 "URL with credentials" row): finds
/// `scheme://user:password@host` and returns the byte range of the PASSWORD part only.
///
/// As in a WHATWG URL parser, the userinfo ends at the last '@' of the authority and the
/// password starts after its first ':'. The password must be non-empty, must not start with
/// '$' (covers `${…}` and `$$…`), must not consist only of '*' / 'x' / '.' masks and must not
/// be a `<…>` / `{…}` template; the host must be non-empty and not a known test host.
pub fn find_url_credentials(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    if !text.contains("://") {
        return out;
    }
    for m in URL_SCHEME.find_iter(text) {
        let auth_start = m.end();
        let Some(rest) = text.get(auth_start..) else {
            continue;
        };
        let auth_len = rest
            .char_indices()
            .find(|&(_, c)| ends_authority(c))
            .map_or(rest.len(), |(i, _)| i);
        let Some(authority) = rest.get(..auth_len) else {
            continue;
        };
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let (Some(userinfo), Some(host)) = (authority.get(..at), authority.get(at + 1..)) else {
            continue;
        };
        if host.is_empty() {
            continue;
        }
        let host_lower = host.to_ascii_lowercase();
        if TEST_HOSTS.iter().any(|h| host_lower.starts_with(h)) {
            continue;
        }
        let Some(colon) = userinfo.find(':') else {
            continue;
        };
        let Some(password) = userinfo.get(colon + 1..) else {
            continue;
        };
        if password.is_empty()
            || password.starts_with('$')
            || is_mask_only(password)
            || is_template(password)
        {
            continue;
        }
        let start = auth_start + colon + 1;
        out.push(start..start + password.len());
    }
    out
}

/// htpasswd / bcrypt / `{SHA}` password hashes (catalog §4.2 last row), also with the
/// `$$` escapes a compose file needs for a literal `$`.
static PASSWORD_HASH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\$\$?apr1\$\$?[./0-9A-Za-z]{1,8}\$\$?[./0-9A-Za-z]{22}|\$\$?2[aby]\$\$?\d{2}\$\$?[./0-9A-Za-z]{53}|\{SHA\}[A-Za-z0-9+/=]{28}",
    )
    .expect("constant regex")
});

/// True when `text` holds a password hash (htpasswd `$apr1$`, bcrypt `$2y$`, `{SHA}`), e.g. a
/// Traefik basic-auth label: not the password itself, but crackable offline.
pub fn contains_password_hash(text: &str) -> bool {
    PASSWORD_HASH.is_match(text)
}

// ---------------------------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------------------------

/// A masked hint safe to print: never more than the first 2 characters of the secret followed
/// by "…" and the length in characters, e.g. `mask("hunter2hunter2") == "hu… (14 chars)"`;
/// values shorter than 8 characters show no characters at all: `"… (6 chars)"`.
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let unit = if n == 1 { "char" } else { "chars" };
    if n < 8 {
        format!("… ({n} {unit})")
    } else {
        let prefix: String = secret.chars().take(2).collect();
        format!("{prefix}… ({n} {unit})")
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_detector_pattern_compiles() {
        // the set is compiled on first use, each detector's own regex only when it matches
        for d in DETECTORS {
            assert!(Regex::new(d.pattern).is_ok(), "{}", d.pattern);
        }
    }

    #[test]
    fn every_detector_has_prefix_literals() {
        // a detector without literals would still be found (it is searched in every text),
        // but would cost a regex search of every value
        for d in DETECTORS {
            let lits = prefix_literals(d.pattern);
            assert!(lits.is_some(), "{}", d.pattern);
        }
        assert_eq!(CREDENTIAL_DETECTORS.always, 0);
    }

    /// The prefilter sends a text to every detector whose pattern matches it: checked against
    /// a `RegexSet` of the patterns on every line of the fixtures and on generated tokens.
    #[test]
    fn prefilter_never_misses_a_detector_the_patterns_match() {
        let set = regex::RegexSet::new(DETECTORS.iter().map(|d| d.pattern)).unwrap();
        let mut texts: Vec<String> = vec![];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("fixtures"), root.join("examples")];
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if let Ok(t) = std::fs::read_to_string(&p) {
                    texts.extend(t.lines().map(str::to_string));
                    texts.push(t);
                }
            }
        }
        for (i, charset) in [ALNUM, B64URL, HEX, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"]
            .iter()
            .enumerate()
        {
            for prefix in [
                "AKIA",
                "A3TX",
                "ghp_",
                "gho_",
                "github_pat_",
                "glpat-",
                "xoxb-",
                "xapp-1-",
                "AIza",
                "sk_live_",
                "rk_test_",
                "NPM_",
                "npm_",
                "SG.",
                "dop_v1_",
                "hvs.",
                "s.",
                "dckr_pat_",
                "SWMTKN-1-",
                "SWMKEY-1-",
                "eyJhbGciOiJIUzI1NiJ9.eyJ",
                "https://hooks.slack.com/services/",
                "-----BEGIN RSA PRIVATE KEY-----",
                "PuTTY-User-Key-File-2: ssh-rsa",
                "pypi-AgEIcHlwaS5vcmc",
                "AWS_SECRET_KEY=",
                "aWs key: ",
            ] {
                let token = fake(i as u64 * 31 + prefix.len() as u64, charset, 120);
                texts.push(format!("{prefix}{token}"));
                texts.push(format!("x {prefix}{}", &token[..40]));
            }
        }
        let mut matched = 0;
        for t in &texts {
            let candidates = CREDENTIAL_DETECTORS.candidates(t);
            for i in set.matches(t).iter() {
                matched += 1;
                assert!(
                    candidates & (1 << i) != 0,
                    "detector {i} matches but the prefilter skipped it: {t:?}"
                );
            }
        }
        // the texts exercise the detectors, not only the prefilter's no-match path
        assert!(matched >= DETECTORS.len(), "{matched}");
    }

    // --- helpers -----------------------------------------------------------------------------

    #[test]
    fn password_hashes() {
        let apr1 = format!(
            "admin:$apr1${}${}",
            fake(90, B64URL, 8).replace('-', "."),
            fake(91, ALNUM, 22)
        );
        assert!(contains_password_hash(&apr1));
        assert!(
            contains_password_hash(&apr1.replace('$', "$$")),
            "compose escapes"
        );
        let bcrypt = format!("u:$2y$05${}", fake(92, ALNUM, 53));
        assert!(contains_password_hash(&bcrypt));
        assert!(contains_password_hash(&format!(
            "u:{{SHA}}{}=",
            fake(93, ALNUM, 27)
        )));
        assert!(!contains_password_hash("admin:changeme"));
        assert!(!contains_password_hash("$apr1$short"));
    }

    const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const AWS_ID_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const LOWER_ALNUM: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    const HEX: &str = "0123456789abcdef";
    const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// Deterministic pseudo-random string over `charset` (fake test material, never real).
    fn fake(seed: u64, charset: &str, len: usize) -> String {
        let cs: Vec<char> = charset.chars().collect();
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let idx = usize::try_from((state >> 33) % cs.len() as u64).unwrap();
                cs[idx]
            })
            .collect()
    }

    fn b64url_encode(data: &[u8]) -> String {
        let alphabet = B64URL.as_bytes();
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn kinds(text: &str) -> Vec<SecretKind> {
        find_credentials(text).iter().map(|d| d.kind).collect()
    }

    /// Asserts exactly one detection of `kind`, covering exactly `secret` inside `text`.
    fn assert_single(text: &str, secret: &str, kind: SecretKind) {
        let found = find_credentials(text);
        assert_eq!(
            found.len(),
            1,
            "expected one detection in {text:?}, got {found:?}"
        );
        let d = &found[0];
        assert_eq!(d.kind, kind, "{text:?}");
        assert_eq!(&text[d.start..d.end], secret, "{text:?}");
    }

    fn assert_none(text: &str) {
        let found = find_credentials(text);
        assert!(
            found.is_empty(),
            "expected nothing in {text:?}, got {found:?}"
        );
    }

    fn aws_key_id(seed: u64) -> String {
        format!("AKIA{}", fake(seed, AWS_ID_CHARS, 16))
    }

    fn ghp(seed: u64) -> String {
        format!("ghp_{}", fake(seed, ALNUM, 36))
    }

    fn jwt(header_json: &str, seed: u64) -> String {
        let header = b64url_encode(header_json.as_bytes());
        let payload = b64url_encode(br#"{"sub":"svc-report","iat":1716239022,"scope":"read"}"#);
        format!("{header}.{payload}.{}", fake(seed, B64URL, 43))
    }

    fn join_token(seed: u64) -> String {
        format!(
            "SWMTKN-1-{}-{}",
            fake(seed, LOWER_ALNUM, 50),
            fake(seed + 1, LOWER_ALNUM, 25)
        )
    }

    // --- SecretKind ----------------------------------------------------------------------------

    #[test]
    fn labels_are_distinct_and_non_empty() {
        let mut seen = std::collections::HashSet::new();
        for kind in SecretKind::ALL {
            assert!(!kind.label().is_empty());
            assert!(
                seen.insert(kind.label()),
                "duplicate label {}",
                kind.label()
            );
            assert_eq!(kind.to_string(), kind.label());
        }
        assert_eq!(SecretKind::AwsAccessKeyId.label(), "AWS access key id");
    }

    #[test]
    fn confidence_levels() {
        for kind in SecretKind::ALL {
            let expected = !matches!(kind, SecretKind::Jwt | SecretKind::HighEntropy);
            assert_eq!(kind.is_high_confidence(), expected, "{kind:?}");
        }
    }

    // --- provider patterns -----------------------------------------------------------------

    #[test]
    fn aws_access_key_id() {
        let key = aws_key_id(1);
        assert_single(
            &format!("AWS_ACCESS_KEY_ID={key}"),
            &key,
            SecretKind::AwsAccessKeyId,
        );
        let asia = format!("ASIA{}", fake(2, AWS_ID_CHARS, 16));
        assert_single(&asia, &asia, SecretKind::AwsAccessKeyId);
    }

    #[test]
    fn aws_access_key_id_near_misses() {
        assert_none("AKIAIOSFODNN7EXAMPLE");
        assert_none(&format!("AKIA{}", fake(3, AWS_ID_CHARS, 15)));
        // Embedded in a longer word: no boundary.
        assert_none(&format!("X{}Y", aws_key_id(4)));
        // Lower-case / wrong charset (0, 1, 8, 9 are not base32).
        assert_none("AKIA0123456789018901");
        // Low entropy filler.
        assert_none("AKIABBBBBBBBBBBBBBBB");
    }

    #[test]
    fn aws_secret_key_keyed() {
        let secret = fake(5, B64, 40);
        assert_single(
            &format!("AWS_SECRET_ACCESS_KEY={secret}"),
            &secret,
            SecretKind::AwsSecretKey,
        );
        assert_single(
            &format!("aws_secret_access_key = \"{secret}\""),
            &secret,
            SecretKind::AwsSecretKey,
        );
    }

    #[test]
    fn aws_secret_key_near_misses() {
        // AWS docs example key.
        assert_none("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        // Hash-looking (40 hex = SHA-1).
        assert_none(&format!("aws_token={}", fake(6, HEX, 40)));
        // No AWS context.
        assert_none(&format!("SOME_KEY={}", fake(7, B64, 40)));
        // 41 characters is not an AWS secret key.
        assert_none(&format!("AWS_SECRET_ACCESS_KEY={}", fake(8, B64, 41)));
    }

    #[test]
    fn github_classic_token() {
        let t = ghp(9);
        assert_single(&format!("GITHUB_TOKEN={t}"), &t, SecretKind::GithubToken);
        let gho = format!("gho_{}", fake(10, ALNUM, 36));
        assert_single(&format!("token {gho} end"), &gho, SecretKind::GithubToken);
    }

    #[test]
    fn github_classic_token_near_misses() {
        assert_none(&format!("ghp_{}", fake(11, ALNUM, 35)));
        assert_none(&format!("ghx_{}", fake(12, ALNUM, 36)));
        assert_none(&format!("ghp_{}", "x".repeat(36)));
    }

    #[test]
    fn github_fine_grained_pat() {
        let t = format!("github_pat_{}_{}", fake(13, ALNUM, 22), fake(14, ALNUM, 59));
        assert_single(&format!("GH_PAT={t}"), &t, SecretKind::GithubFineGrainedPat);
    }

    #[test]
    fn github_fine_grained_pat_near_miss() {
        assert_none(&format!("github_pat_{}", fake(15, ALNUM, 81)));
    }

    #[test]
    fn gitlab_pat() {
        let t = format!("glpat-{}", fake(16, ALNUM, 20));
        assert_single(&format!("GITLAB_TOKEN={t}"), &t, SecretKind::GitlabPat);
    }

    #[test]
    fn gitlab_pat_near_misses() {
        assert_none(&format!("glpat-{}", fake(17, ALNUM, 19)));
        assert_none("glpat-xxxxxxxxxxxxxxxxxxxx");
    }

    #[test]
    fn slack_token() {
        let t = format!(
            "xoxb-{}-{}-{}",
            fake(18, "0123456789", 12),
            fake(19, "0123456789", 13),
            fake(20, ALNUM, 24)
        );
        assert_single(&format!("SLACK_BOT_TOKEN={t}"), &t, SecretKind::SlackToken);
    }

    #[test]
    fn slack_token_near_misses() {
        assert_none("xoxb-not-a-real-token-at-all");
        assert_none("xoxz-123456789012-1234567890123");
        assert_none("xoxb-12345");
    }

    #[test]
    fn slack_webhook() {
        let url = format!(
            "https://hooks.slack.com/services/T{}/B{}/{}",
            fake(21, UPPER, 8),
            fake(22, UPPER, 8),
            fake(23, ALNUM, 24)
        );
        assert_single(&format!("WEBHOOK={url}"), &url, SecretKind::SlackWebhook);
    }

    #[test]
    fn slack_webhook_near_misses() {
        // Slack's documentation placeholder.
        assert_none(
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        );
        assert_none("https://hooks.slack.com/services/TABC/BDEF/short");
    }

    #[test]
    fn private_key_block_and_header() {
        let block = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----",
            fake(24, B64, 64),
            fake(25, B64, 40)
        );
        let text = format!("key: |\n{block}\n");
        assert_single(&text, &block, SecretKind::PrivateKey);

        let header = "-----BEGIN OPENSSH PRIVATE KEY-----";
        assert_single(
            &format!("{header}\\nb3BlbnNz…"),
            header,
            SecretKind::PrivateKey,
        );

        let pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----";
        assert_eq!(kinds(pgp), vec![SecretKind::PrivateKey]);
        assert_eq!(
            kinds("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none"),
            vec![SecretKind::PrivateKey]
        );
    }

    #[test]
    fn public_keys_and_certificates_are_not_secrets() {
        let body = fake(26, B64, 64);
        assert_none(&format!(
            "-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----"
        ));
        assert_none(&format!(
            "-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----"
        ));
        assert_none(&format!(
            "-----BEGIN RSA PUBLIC KEY-----\n{body}\n-----END RSA PUBLIC KEY-----"
        ));
    }

    #[test]
    fn jwt_with_alg() {
        let t = jwt(r#"{"alg":"HS256","typ":"JWT"}"#, 27);
        assert_single(&format!("Authorization: Bearer {t}"), &t, SecretKind::Jwt);
        assert!(!SecretKind::Jwt.is_high_confidence());
    }

    #[test]
    fn jwt_near_misses() {
        // alg none: unsigned token.
        assert_none(&jwt(r#"{"alg":"none","typ":"JWT"}"#, 28));
        // Header without alg.
        assert_none(&jwt(r#"{"typ":"JWT","kid":"key-2024-01"}"#, 29));
        // Header that is not JSON.
        let not_json = b64url_encode(b"this is not json at all");
        let payload = b64url_encode(br#"{"sub":"svc-report","iat":1716239022}"#);
        assert_none(&format!("ey{not_json}.{payload}.{}", fake(30, B64URL, 43)));
        // Only two segments.
        let header = b64url_encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        assert_none(&format!("{header}.{payload}"));
        // jwt.io sample token.
        assert_none(concat!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
            "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.",
            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        ));
    }

    #[test]
    fn google_api_key() {
        let t = format!("AIza{}", fake(31, B64URL, 35));
        assert_single(&format!("MAPS_KEY={t}"), &t, SecretKind::GoogleApiKey);
    }

    #[test]
    fn google_api_key_near_misses() {
        assert_none(&format!("AIza{}", fake(32, B64URL, 34)));
        assert_none(&format!("AIza{}", "A".repeat(35)));
    }

    #[test]
    fn stripe_key() {
        let t = format!("sk_live_{}", fake(33, ALNUM, 24));
        assert_single(&format!("STRIPE_KEY={t}"), &t, SecretKind::StripeKey);
        let r = format!("rk_test_{}", fake(34, ALNUM, 24));
        assert_single(&r, &r, SecretKind::StripeKey);
    }

    #[test]
    fn stripe_key_near_misses() {
        // Publishable keys are public.
        assert_none(&format!("pk_live_{}", fake(35, ALNUM, 24)));
        assert_none("sk_live_short");
    }

    #[test]
    fn npm_token() {
        let t = format!("npm_{}", fake(36, ALNUM, 36));
        assert_single(
            &format!("//registry.npmjs.org/:_authToken={t}"),
            &t,
            SecretKind::NpmToken,
        );
    }

    #[test]
    fn npm_token_near_miss() {
        assert_none(&format!("npm_{}", fake(37, ALNUM, 35)));
        assert_none(&format!("npm_{}", fake(38, ALNUM, 37)));
    }

    #[test]
    fn pypi_token() {
        let t = format!("pypi-AgEIcHlwaS5vcmc{}", fake(39, B64URL, 60));
        assert_single(&format!("TWINE_PASSWORD={t}"), &t, SecretKind::PypiToken);
    }

    #[test]
    fn pypi_token_near_miss() {
        assert_none(&format!("pypi-AgEIcHlwaS5vcmc{}", fake(40, B64URL, 20)));
        assert_none(&format!("pypi-AgEIcHlwaS5vcmX{}", fake(41, B64URL, 60)));
    }

    #[test]
    fn sendgrid_key() {
        let t = format!("SG.{}.{}", fake(42, B64URL, 22), fake(43, B64URL, 43));
        assert_single(&format!("SENDGRID={t}"), &t, SecretKind::SendgridKey);
    }

    #[test]
    fn sendgrid_key_near_miss() {
        assert_none(&format!("SG.{}", fake(44, B64URL, 22)));
    }

    #[test]
    fn digitalocean_token() {
        let t = format!("dop_v1_{}", fake(45, HEX, 64));
        assert_single(&format!("DO_TOKEN={t}"), &t, SecretKind::DigitalOceanToken);
    }

    #[test]
    fn digitalocean_token_near_miss() {
        assert_none(&format!("dop_v1_{}", fake(46, HEX, 63)));
        assert_none(&format!("dop_v2_{}", fake(47, HEX, 64)));
    }

    #[test]
    fn vault_token() {
        let hvs = format!("hvs.{}", fake(48, B64URL, 91));
        assert_single(&format!("VAULT_TOKEN={hvs}"), &hvs, SecretKind::VaultToken);
        let legacy = format!("s.{}", fake(49, ALNUM, 24));
        assert_single(
            &format!("VAULT_TOKEN={legacy}"),
            &legacy,
            SecretKind::VaultToken,
        );
    }

    #[test]
    fn vault_token_near_misses() {
        // Legacy form without any vault context is too noisy to report.
        assert_none(&format!("value s.{}", fake(50, ALNUM, 24)));
        assert_none(&format!("VAULT_TOKEN=hvs.{}", fake(51, B64URL, 40)));
    }

    #[test]
    fn docker_hub_pat() {
        let t = format!("dckr_pat_{}", fake(52, B64URL, 27));
        assert_single(
            &format!("DOCKERHUB_TOKEN={t}"),
            &t,
            SecretKind::DockerHubPat,
        );
    }

    #[test]
    fn docker_hub_pat_near_miss() {
        assert_none(&format!("dckr_pat_{}", fake(53, ALNUM, 10)));
        assert_none(&format!("dckr_xyz_{}", fake(54, ALNUM, 27)));
    }

    #[test]
    fn swarm_join_token() {
        let t = join_token(55);
        let text = format!("docker swarm join --token {t} 10.0.0.1:2377");
        assert_single(&text, &t, SecretKind::SwarmJoinToken);
        let fips = format!(
            "SWMTKN-2-1-{}-{}",
            fake(56, LOWER_ALNUM, 50),
            fake(57, LOWER_ALNUM, 25)
        );
        assert_single(&fips, &fips, SecretKind::SwarmJoinToken);
    }

    #[test]
    fn swarm_join_token_near_misses() {
        // Docker documentation sample tokens.
        assert_none(
            "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx",
        );
        assert_none(
            "SWMTKN-1-49nj1cmql0jkz5s954yi3oex3nedyz0fb0xx14ie39trti4wxv-8vxv8rssmk743ojnwacrr2e7c",
        );
        // Secret part one character short.
        assert_none(&format!(
            "SWMTKN-1-{}-{}",
            fake(58, LOWER_ALNUM, 50),
            fake(59, LOWER_ALNUM, 24)
        ));
        // Upper case is not base36 as swarmkit prints it.
        assert_none(&join_token(60).to_uppercase());
    }

    #[test]
    fn swarm_unlock_key() {
        let k = format!("SWMKEY-1-{}", fake(61, B64, 43));
        assert_single(
            &format!("unlock key: {k}\n"),
            &k,
            SecretKind::SwarmUnlockKey,
        );
        assert_single(&k, &k, SecretKind::SwarmUnlockKey);
    }

    #[test]
    fn swarm_unlock_key_near_misses() {
        assert_none("SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8");
        assert_none("SWMKEY-1-WuYH/IX284+lRcXuoVf38viIDK3HJEKY13MIHX+tTt8");
        assert_none(&format!("SWMKEY-1-{}", fake(62, B64, 42)));
        assert_none(&format!("SWMKEY-1-{}", fake(63, B64, 44)));
    }

    #[test]
    fn find_credentials_never_reports_high_entropy() {
        let text = format!("x {} y", fake(64, ALNUM, 40));
        assert!(find_credentials(&text).is_empty());
        assert!(!find_high_entropy(&text).is_empty());
    }

    #[test]
    fn multiple_detections_sorted_and_non_overlapping() {
        let a = ghp(65);
        let b = aws_key_id(66);
        let c = join_token(67);
        let text = format!("{c} and {b}, then {a}");
        let found = find_credentials(&text);
        assert_eq!(
            found.iter().map(|d| d.kind).collect::<Vec<_>>(),
            vec![
                SecretKind::SwarmJoinToken,
                SecretKind::AwsAccessKeyId,
                SecretKind::GithubToken
            ]
        );
        for pair in found.windows(2) {
            assert!(pair[0].end <= pair[1].start);
        }
    }

    #[test]
    fn overlap_resolution_keeps_first_then_longest() {
        let found = resolve_overlaps(vec![
            Detection {
                kind: SecretKind::Jwt,
                start: 5,
                end: 10,
            },
            Detection {
                kind: SecretKind::GithubToken,
                start: 0,
                end: 4,
            },
            Detection {
                kind: SecretKind::SlackToken,
                start: 5,
                end: 20,
            },
            Detection {
                kind: SecretKind::StripeKey,
                start: 12,
                end: 30,
            },
            Detection {
                kind: SecretKind::NpmToken,
                start: 20,
                end: 25,
            },
        ]);
        assert_eq!(
            found,
            vec![
                Detection {
                    kind: SecretKind::GithubToken,
                    start: 0,
                    end: 4
                },
                Detection {
                    kind: SecretKind::SlackToken,
                    start: 5,
                    end: 20
                },
                Detection {
                    kind: SecretKind::NpmToken,
                    start: 20,
                    end: 25
                },
            ]
        );
    }

    #[test]
    fn short_and_plain_text_has_no_credentials() {
        assert_none("");
        assert_none("hello");
        assert_none("traefik.http.routers.api.rule=Host(`example.com`)");
        assert_none("POSTGRES_PASSWORD=changeme");
        assert_none("image: nginx:1.27-alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn placeholder_words_suppress_matches() {
        assert_none(&format!(
            "ghp_{}example{}",
            fake(68, ALNUM, 10),
            fake(69, ALNUM, 19)
        ));
        assert_none(&format!("sk_live_SAMPLE{}", fake(70, ALNUM, 12)));
        assert_none("glpat-abcdefghijklmnopqrst");
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let t = ghp(71);
        let text = format!("GITHUB_TOKEN={t}");
        let found = find_credentials(&text);
        assert_eq!(found.len(), 1);
        let dbg = format!("{found:?}");
        assert!(!dbg.contains(&t));
        assert!(!dbg.contains(&t[..10]));
    }

    // --- entropy ----------------------------------------------------------------------------

    #[test]
    fn shannon_entropy_values() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("ab") - 1.0).abs() < 1e-12);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-12);
        assert!((shannon_entropy("0123456789abcdef") - 4.0).abs() < 1e-12);
        // Characters, not bytes: two distinct multibyte chars = 1 bit.
        assert!((shannon_entropy("日本日本") - 1.0).abs() < 1e-12);
    }

    #[test]
    fn high_entropy_random_base64_token_found() {
        // 32 distinct characters: entropy = 5 bits/char.
        let token = "q7Xk2LmZ9pR4vT1wY8bN3cF6hJ0sD5gA";
        let text = format!("--api {token}");
        let found = find_high_entropy(&text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, SecretKind::HighEntropy);
        assert_eq!(&text[found[0].start..found[0].end], token);
        // Label value form, quoted.
        let label = format!("com.acme.key=\"{token}\"");
        let found = find_high_entropy(&label);
        assert_eq!(found.len(), 1);
        assert_eq!(&label[found[0].start..found[0].end], token);
    }

    #[test]
    fn high_entropy_hex_token_found() {
        let hex = fake(72, HEX, 64);
        let found = find_high_entropy(&format!("--key {hex}"));
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn high_entropy_exclusions() {
        let digest = fake(73, HEX, 64);
        assert!(find_high_entropy(&format!("sha256:{digest}")).is_empty());
        assert!(find_high_entropy(&format!("nginx@sha256:{digest}")).is_empty());
        assert!(find_high_entropy("123e4567-e89b-12d3-a456-426614174000").is_empty());
        // git SHA (40 hex), e.g. org.opencontainers.image.revision.
        let sha = fake(74, HEX, 40);
        assert!(find_high_entropy(&format!("org.opencontainers.image.revision={sha}")).is_empty());
        assert!(find_high_entropy("traefik.http.routers.api.rule=Host(`example.com`)").is_empty());
        assert!(find_high_entropy("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789").is_empty());
        assert!(find_high_entropy("abcdefghijklmnopqrstuvwxyz0123456789").is_empty());
        // Paths and URLs.
        assert!(find_high_entropy("/var/lib/app/data/k8Qz3Lm9Xv2Rp7Tw").is_empty());
        assert!(
            find_high_entropy("https://q7Xk2LmZ9pR4vT1wY8bN3cF6hJ0sD5gA.example.org").is_empty()
        );
        assert!(find_high_entropy("registry/team-7/service-build-2024").is_empty());
        // No digit.
        assert!(find_high_entropy("qXkLmZpRvTwYbNcFhJsDgAeUiOyPlKjH").is_empty());
        // Too short even if random.
        assert!(find_high_entropy("q7Xk2LmZ9pR4vT1wY8b").is_empty());
        // Short hex.
        assert!(find_high_entropy(&fake(75, HEX, 24)).is_empty());
        // Low entropy long token.
        assert!(find_high_entropy("aaaaaaaabbbbbbbb11111111").is_empty());
        // Placeholder.
        assert!(find_high_entropy("EXAMPLE7Xk2LmZ9pR4vT1wY8bN3cF6hJ0").is_empty());
    }

    #[test]
    fn high_entropy_base64_with_slash_is_still_examined() {
        let token = "q7Xk2L/mZ9pR4vT1wY8b+N3cF6hJ0sD5gA";
        let found = find_high_entropy(&format!("secret {token}"));
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn high_entropy_multiple_tokens_and_offsets() {
        let a = "q7Xk2LmZ9pR4vT1wY8bN3cF6hJ0sD5gA";
        let b = "build-2024-05-17-release-candidate";
        let c = "Zm9vYmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZg";
        let text = format!("a={a},b={b};c='{c}'");
        let found = find_high_entropy(&text);
        let got: Vec<&str> = found.iter().map(|d| &text[d.start..d.end]).collect();
        assert_eq!(got, vec![a, c]);
        assert!(shannon_entropy(b) < 4.5);
    }

    // --- name heuristic ----------------------------------------------------------------------

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "dbPassword",
            "db.password",
            "db-password",
            "API_KEY",
            "apiKey",
            "APIKey",
            "x-api-key",
            "SECRET_KEY_BASE",
            "POSTGRES_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "JWT_SECRET",
            "AUTH_TOKEN",
            "DATABASE_URL",
            "PGPASSWORD",
            "SMTP_PASS",
            "CLIENT_SECRET",
            "SENTRY_DSN",
            "AWS_SECRET_ACCESS_KEY",
            "GITHUB_TOKEN",
            "password",
            "ENCRYPTION_KEY",
            "SESSION_KEY",
            "connectionString",
            "REDIS_CREDENTIAL",
        ] {
            assert!(is_secret_name(name), "{name} should be secret-named");
        }
    }

    #[test]
    fn non_secret_names() {
        for name in [
            "POSTGRES_USER",
            "DB_PASSWORD_FILE",
            "dbPasswordFile",
            "TOKEN_TTL",
            "PASSWORD_MIN_LENGTH",
            "AWS_ACCESS_KEY_ID",
            "SECRET_NAME",
            "AUTH_ENABLED",
            "POSTGRES_DB",
            "PASSWORDLESS_LOGIN",
            "SECRETARY_EMAIL",
            "TOKENIZER_MODEL",
            "DB_HOST",
            "JWT_PUBLIC_KEY",
            "PUBLIC_KEY",
            "API_KEY_HEADER",
            "SECRETS_DIR",
            "",
            "日本語",
        ] {
            assert!(!is_secret_name(name), "{name} should not be secret-named");
        }
    }

    #[test]
    fn name_normalisation() {
        assert_eq!(normalize_name("dbPassword"), "DB_PASSWORD");
        assert_eq!(normalize_name("db.password"), "DB_PASSWORD");
        assert_eq!(normalize_name("APIKey"), "API_KEY");
        assert_eq!(normalize_name("oauth2Token"), "OAUTH2_TOKEN");
        assert_eq!(normalize_name("MYSQL_ROOT_PASSWORD"), "MYSQL_ROOT_PASSWORD");
    }

    // --- value filter -------------------------------------------------------------------------

    #[test]
    fn non_secret_values() {
        for v in [
            "",
            "   ",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "$$DB_PASSWORD",
            "${DB_PASSWORD:?must be set}",
            "${DB_PASSWORD:-}",
            "${USER}:${PASS}",
            "${A:-${B}}",
            "/run/secrets/db_password",
            "C:\\ProgramData\\Docker\\secrets\\db_password",
            "true",
            "FALSE",
            "Yes",
            "no",
            "on",
            "OFF",
            "null",
            "3600",
            "12345678",
            "-1",
            "<your-password-here>",
            "{password}",
            "{{ .Secrets.db }}",
            "{{ secret \"db\" }}",
            "%DB_PASSWORD%",
            "vault:secret/data/db#password",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/db",
            "op://vault/item/password",
            "********",
            "xxxxxx",
            "XXXX",
            "...",
        ] {
            assert!(is_non_secret_value(v), "{v:?} should be a non-secret value");
        }
    }

    #[test]
    fn secret_values() {
        for v in [
            "postgres",
            "changeme",
            "admin",
            "hunter2",
            "123456789",
            "s3cr3t!",
            "${DB_PASSWORD:-changeme}",
            "${DB_PASSWORD-hunter2}",
            "prefix${SUFFIX}",
            "{\"password\":\"hunter2\"}",
            "$2y$10$abcdefghijklmnopqrstuv",
            "x*x-1",
            "/etc/app/password.txt",
            "vaultpass",
            "日本語のパスワード",
            "${",
            "${}",
            "$",
        ] {
            assert!(
                !is_non_secret_value(v),
                "{v:?} should be treated as a literal"
            );
        }
    }

    #[test]
    fn deeply_nested_reference_does_not_overflow() {
        let mut v = String::from("x");
        for _ in 0..5000 {
            v = format!("${{A:-{v}}}");
        }
        // Too deep to prove harmless: treated as a literal, and no stack overflow.
        assert!(!is_non_secret_value(&v));
    }

    // --- URL credentials ------------------------------------------------------------------------

    fn url_passwords(text: &str) -> Vec<&str> {
        find_url_credentials(text)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn url_credentials_found() {
        let text = "postgres://user:s3cret@db:5432/app";
        let ranges = find_url_credentials(text);
        assert_eq!(ranges, vec![16..22]);
        assert_eq!(&text[ranges[0].clone()], "s3cret");
        assert_eq!(url_passwords("redis://:pw123@redis:6379"), vec!["pw123"]);
        assert_eq!(
            url_passwords("DATABASE_URL=mysql://root:p@ss:w0rd@mysql/app?ssl=true"),
            vec!["p@ss:w0rd"]
        );
        assert_eq!(
            url_passwords("curl -f http://admin:admin@localhost:8080/health"),
            vec!["admin"]
        );
        assert_eq!(
            url_passwords(
                "amqp://guest:guest@rabbit// and mongodb+srv://app:Zx9@cluster0.mongodb.net/db"
            ),
            vec!["guest", "Zx9"]
        );
        assert_eq!(url_passwords("jdbc:postgresql://u:pw@h/db"), vec!["pw"]);
    }

    #[test]
    fn url_credentials_not_found() {
        assert!(find_url_credentials("postgres://user:${DB_PASS}@db").is_empty());
        assert!(find_url_credentials("postgres://user:$$DB_PASS@db").is_empty());
        assert!(find_url_credentials("postgres://user:$DB_PASS@db").is_empty());
        assert!(find_url_credentials("https://user@host").is_empty());
        assert!(find_url_credentials("https://user:@host").is_empty());
        assert!(find_url_credentials("https://user:*****@host").is_empty());
        assert!(find_url_credentials("https://user:<password>@host").is_empty());
        assert!(find_url_credentials("https://user:pw@").is_empty());
        assert!(find_url_credentials("https://host/path?q=user:pw@x").is_empty());
        assert!(
            find_url_credentials("https://user:passwd@httpbin.org/basic-auth/user/passwd")
                .is_empty()
        );
        assert!(find_url_credentials("user:pw@host").is_empty());
        assert!(find_url_credentials("git@github.com:org/repo.git").is_empty());
        assert!(find_url_credentials("").is_empty());
    }

    // --- mask -----------------------------------------------------------------------------------

    #[test]
    fn mask_cases() {
        assert_eq!(mask("hunter2hunter2"), "hu… (14 chars)");
        assert_eq!(mask("secret"), "… (6 chars)");
        assert_eq!(mask("1234567"), "… (7 chars)");
        assert_eq!(mask("12345678"), "12… (8 chars)");
        assert_eq!(mask(""), "… (0 chars)");
        assert_eq!(mask("x"), "… (1 char)");
        assert_eq!(mask("日本語のパスワードです"), "日本… (11 chars)");
        let t = ghp(76);
        let m = mask(&t);
        assert!(m.starts_with("gh…"));
        assert!(!m.contains(&t[..3]));
    }

    // --- robustness -----------------------------------------------------------------------------

    #[test]
    fn multibyte_input_does_not_panic() {
        let token = ghp(77);
        let key = format!("SWMKEY-1-{}", fake(78, B64, 43));
        let samples = [
            format!("é{token}日本"),
            format!("パスワード=s.{}🔑vault", fake(79, ALNUM, 24)),
            format!("vaultü s.{}", fake(80, ALNUM, 24)),
            format!("{key}é"),
            "postgres://ユーザー:パスワード@ホスト/db".to_string(),
            "https://u:p🔥@h".to_string(),
            "AWS_SECRET_ACCESS_KEY=ééééééééééééééééééééééééééééééééééééééé".to_string(),
            "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€".to_string(),
            "-----BEGIN PRIVATE KEY-----ü".to_string(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyü".to_string(),
            "${日本:-語}".to_string(),
        ];
        for s in &samples {
            // Every suffix / prefix on a char boundary as well.
            for (i, _) in s.char_indices() {
                for part in [&s[i..], &s[..i]] {
                    for d in find_credentials(part) {
                        assert!(part.is_char_boundary(d.start) && part.is_char_boundary(d.end));
                    }
                    for d in find_high_entropy(part) {
                        assert!(part.is_char_boundary(d.start) && part.is_char_boundary(d.end));
                    }
                    for r in find_url_credentials(part) {
                        assert!(part.get(r).is_some());
                    }
                    let _ = is_secret_name(part);
                    let _ = is_non_secret_value(part);
                    let _ = shannon_entropy(part);
                    let _ = mask(part);
                }
            }
        }
        assert_eq!(
            url_passwords("postgres://ユーザー:パスワード@ホスト/db"),
            vec!["パスワード"]
        );
        let text = format!("é{token}日本");
        assert_eq!(kinds(&text), vec![SecretKind::GithubToken]);
        assert_eq!(
            kinds(&format!("パスワード=s.{}🔑", fake(81, ALNUM, 24))),
            vec![]
        );
    }

    #[test]
    fn base64_decoder() {
        assert_eq!(base64_decode("aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64_decode("-_-_").map(|v| v.len()), Some(3));
        assert_eq!(base64_decode("a"), None);
        assert_eq!(base64_decode("a*b"), None);
    }
}
