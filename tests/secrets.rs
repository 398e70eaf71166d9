//! "Never print a secret value, in any output format or log."
//!
//! A stack with distinctive fake secrets in every place a rule looks at (and in two files that
//! fail to load) is scanned in every format, to stdout and with `--output`. Neither a secret nor
//! any 6-character piece of one may appear in stdout, stderr or the report file, while the
//! findings and errors about them must. Token-shaped values are assembled at run time so that no
//! credential-shaped literal sits in the repository.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use common::*;
use serde_json::Value;

/// Shortest piece of a secret that must not be printed.
const WINDOW: usize = 6;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A deterministic random-looking alphanumeric string (xorshift), free of the placeholder and
/// filler words the detectors deliberately ignore, and containing a digit, an upper- and a
/// lower-case letter.
fn fake(seed: u64, len: usize) -> String {
    let mut salt = 0u64;
    loop {
        let mut x = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(salt)
            .wrapping_add(0x2545_F491_4F6C_DD1D)
            | 1;
        let s: String = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ALNUM[(x % ALNUM.len() as u64) as usize] as char
            })
            .collect();
        let lower = s.to_ascii_lowercase();
        let placeholder = [
            "abcde", "example", "sample", "xxxxxx", "aaaaaa", "00000", "test", "secret",
        ]
        .iter()
        .any(|w| lower.contains(w));
        let mixed = s.bytes().any(|b| b.is_ascii_digit())
            && s.bytes().any(|b| b.is_ascii_uppercase())
            && s.bytes().any(|b| b.is_ascii_lowercase());
        if !placeholder && mixed {
            return s;
        }
        salt += 1;
    }
}

/// Unpadded base64url, for assembling a JWT.
fn b64url(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
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
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Every fake secret of the fixture, with what it is (for failure messages).
struct Secrets {
    all: Vec<(&'static str, String)>,
}

impl Secrets {
    fn add(&mut self, what: &'static str, value: String) -> String {
        self.all.push((what, value.clone()));
        value
    }
}

/// The pieces of `secret` (every `WINDOW`-character substring) found in `haystack`.
fn leaked_pieces(haystack: &str, secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < WINDOW {
        return if haystack.contains(secret) {
            vec![secret.to_string()]
        } else {
            vec![]
        };
    }
    let mut out = BTreeSet::new();
    for w in chars.windows(WINDOW) {
        let piece: String = w.iter().collect();
        if haystack.contains(&piece) {
            out.insert(piece);
        }
    }
    out.into_iter().collect()
}

fn assert_no_leak(secrets: &Secrets, text: &str, what: &str) {
    let mut leaks = vec![];
    for (name, secret) in &secrets.all {
        let pieces = leaked_pieces(text, secret);
        if !pieces.is_empty() {
            leaks.push(format!("{name}: {pieces:?}"));
        }
    }
    assert!(
        leaks.is_empty(),
        "{what} prints secret values:\n{}\n--- output ---\n{text}",
        leaks.join("\n")
    );
}

struct Fixture {
    dir: tempfile::TempDir,
    secrets: Secrets,
    /// Process environment of the run (a secret supplied for interpolation).
    env: Vec<(String, String)>,
}

fn fixture() -> Fixture {
    let mut s = Secrets { all: vec![] };
    let db_password = s.add("environment map value", fake(1, 20));
    let api_token = s.add("environment list value", fake(2, 20));
    let url_password = s.add("URL password", fake(3, 16));
    let github = s.add("GitHub token", format!("ghp_{}", fake(4, 36)));
    let key_lines = [
        s.add("private key body", fake(5, 64)),
        s.add("private key body", fake(6, 64)),
        s.add("private key body", fake(7, 40)),
    ];
    // header and payload are mostly the fixed base64 of public JSON shared with other JWTs: the
    // distinctive parts are the characters that encode only the random `kid` (bytes 8..20 ->
    // chars 11..26) and `sub` (bytes 8..24 -> chars 11..32), and the signature
    let jwt_header =
        b64url(format!(r#"{{"kid":"{}","alg":"HS384","typ":"JWT"}}"#, fake(8, 12)).as_bytes());
    let jwt_payload = b64url(format!(r#"{{"sub":"{}","iat":1700000000}}"#, fake(9, 16)).as_bytes());
    let jwt_signature = fake(10, 43);
    s.add("JWT header", jwt_header[11..26].to_string());
    s.add("JWT payload", jwt_payload[11..32].to_string());
    s.add("JWT signature", jwt_signature.clone());
    let jwt = format!("{jwt_header}.{jwt_payload}.{jwt_signature}");
    let entropy = s.add("high-entropy deploy label", fake(11, 40));
    let default_pw = s.add("interpolation default", fake(12, 18));
    let anchored = s.add("anchored value", fake(13, 18));
    let logging = s.add("logging option token", fake(14, 32));
    let from_process = s.add("value from the process environment", fake(15, 18));
    let from_env_file = s.add("value from --env-file", fake(16, 18));
    let tmpl_a = fake(17, 9);
    let tmpl_b = fake(18, 9);
    let template = s.add("invalid template value", format!("{tmpl_a}$({tmpl_b}!"));
    let dup_first = s.add("duplicate key, first value", fake(19, 16));
    let dup_second = s.add("duplicate key, second value", fake(20, 16));

    let pk = ["PRIVATE", "KEY"].join(" ");
    let key_block = format!(
        "-----BEGIN RSA {pk}-----\\n{}\\n{}\\n{}\\n-----END RSA {pk}-----\\n",
        key_lines[0], key_lines[1], key_lines[2]
    );
    let main = format!(
        r#"x-secret: &pw "{anchored}"
services:
  api:
    image: registry.internal/api:1.2.3
    environment:
      DB_PASSWORD: "{db_password}"
      TLS_PRIVATE_KEY: "{key_block}"
      SMTP_PASSWORD: "${{SMTP_PASSWORD:-{default_pw}}}"
      REDIS_PASSWORD: "${{SWARMAUDIT_TEST_REDIS_PW}}"
      RABBITMQ_DEFAULT_PASS: "${{SWARMAUDIT_TEST_MQ_PW}}"
      ADMIN_PASSWORD: *pw
    labels:
      ci.token: "{github}"
    logging:
      driver: splunk
      options:
        splunk-token: "{logging}"
    deploy:
      labels:
        build.blob: "{entropy}"
    healthcheck:
      test: ["CMD", "curl", "-fsS", "-H", "Authorization: Bearer {jwt}", "http://localhost/health"]
  worker:
    image: registry.internal/worker:1.2.3
    environment:
      - API_TOKEN={api_token}
      - DATABASE_URL=postgres://app:{url_password}@db:5432/app
"#
    );
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "main.yml", &main);
    write(
        dir.path(),
        "template.yml",
        &format!(
            "services:\n  web:\n    image: nginx:1.27\n    environment:\n      PASSWORD: \"{template}\"\n"
        ),
    );
    write(
        dir.path(),
        "dup.yml",
        &format!(
            "services:\n  web:\n    image: nginx:1.27\n    environment:\n      DB_PASSWORD: {dup_first}\n      DB_PASSWORD: {dup_second}\n"
        ),
    );
    write(
        dir.path(),
        "deploy.env",
        &format!("SWARMAUDIT_TEST_MQ_PW={from_env_file}\n"),
    );
    // sanity: every secret really is in the input (so the leak check can see it) ...
    let inputs: String = ["main.yml", "template.yml", "dup.yml", "deploy.env"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.path().join(f)).expect("fixture"))
        .chain(std::iter::once(from_process.clone()))
        .collect();
    for (name, secret) in &s.all {
        assert!(
            inputs.contains(secret.as_str()),
            "fixture secret `{name}` is not used"
        );
    }
    // ... and its pieces are distinctive (the compiled-in rule docs, printed in SARIF, share none)
    let docs: String = swarmaudit::rules::RULES.iter().map(|r| r.doc).collect();
    for (name, secret) in &s.all {
        assert!(
            leaked_pieces(&docs, secret).is_empty(),
            "fixture secret `{name}` is not distinctive"
        );
    }
    Fixture {
        dir,
        secrets: s,
        env: vec![("SWARMAUDIT_TEST_REDIS_PW".into(), from_process)],
    }
}

const FILES: &[&str] = &["main.yml", "template.yml", "dup.yml"];

fn run(fx: &Fixture, args: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.current_dir(fx.dir.path())
        .env("NO_COLOR", "1")
        // wide enough that the table never wraps a value across lines
        .env("COLUMNS", "1000")
        .args(args);
    for (k, v) in &fx.env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("run swarmaudit");
    assert!(o.status.code().is_some(), "killed: {}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    o
}

fn scan_args<'a>(format: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["scan", "--format", format, "--env-file", "deploy.env"];
    a.extend_from_slice(extra);
    a.extend_from_slice(FILES);
    a
}

/// (rule, a piece of its message) that must be reported.
const EXPECTED: &[(&str, &str)] = &[
    ("SA401", "`DB_PASSWORD`"),
    ("SA401", "`TLS_PRIVATE_KEY`"),
    ("SA401", "`SMTP_PASSWORD`"),
    ("SA401", "`REDIS_PASSWORD`"),
    ("SA401", "`RABBITMQ_DEFAULT_PASS`"),
    ("SA401", "`ADMIN_PASSWORD`"),
    ("SA401", "`API_TOKEN`"),
    (
        "SA402",
        "`TLS_PRIVATE_KEY` contains what looks like a private key",
    ),
    (
        "SA402",
        "label `ci.token` contains what looks like a GitHub token",
    ),
    ("SA402", "logging option `splunk-token`"),
    (
        "SA402",
        "deploy label `build.blob` contains what looks like a high-entropy",
    ),
    (
        "SA402",
        "healthcheck `test` contains what looks like a JSON Web Token",
    ),
    ("SA405", "`DATABASE_URL` embeds a password in a URL"),
];

#[test]
fn the_fixture_produces_the_expected_findings_and_errors() {
    let fx = fixture();
    let o = run(&fx, &scan_args("json", &[]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    let findings: Vec<(String, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for (rule, piece) in EXPECTED {
        assert!(
            findings.iter().any(|(r, m)| r == rule && m.contains(piece)),
            "missing {rule} {piece}: {findings:#?}"
        );
    }
    let errors: Vec<(String, String)> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap_or("").to_string(),
                e["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors
        .iter()
        .any(|(f, m)| f == "template.yml" && m.contains("Invalid template")));
    assert!(errors
        .iter()
        .any(|(f, m)| f == "dup.yml" && m.contains("duplicate key `DB_PASSWORD`")));
    assert_eq!(v["summary"]["files_scanned"], 3);
    assert_eq!(v["summary"]["files_failed"], 2);
}

fn assert_reported(text: &str, format: &str) {
    for rule in ["SA401", "SA402", "SA405"] {
        assert!(text.contains(rule), "{format}: no {rule} in\n{text}");
    }
    for file in ["template.yml", "dup.yml"] {
        assert!(
            text.contains(file),
            "{format}: error for {file} missing in\n{text}"
        );
    }
}

#[test]
fn no_format_prints_a_secret() {
    let fx = fixture();
    for format in ["table", "json", "sarif", "github"] {
        let o = run(&fx, &scan_args(format, &[]));
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        let out = stdout(&o);
        let err = stderr(&o);
        assert_reported(&format!("{out}\n{err}"), format);
        assert_no_leak(&fx.secrets, &out, &format!("{format} stdout"));
        assert_no_leak(&fx.secrets, &err, &format!("{format} stderr"));
    }
}

#[test]
fn no_report_file_or_log_prints_a_secret() {
    let fx = fixture();
    for format in ["table", "json", "sarif", "github"] {
        let name = format!("report.{format}");
        let o = run(&fx, &scan_args(format, &["--output", &name]));
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        let file = std::fs::read_to_string(fx.dir.path().join(&name)).expect("report written");
        assert_reported(&format!("{file}\n{}", stderr(&o)), format);
        assert_no_leak(&fx.secrets, &file, &format!("{format} --output file"));
        assert_no_leak(&fx.secrets, &stdout(&o), &format!("{format} -o stdout"));
        assert_no_leak(&fx.secrets, &stderr(&o), &format!("{format} -o stderr"));
    }
}

#[test]
fn rule_selection_and_gates_do_not_change_that() {
    // the same files one at a time and with only the secret rules, gate on
    let fx = fixture();
    for file in FILES {
        for format in ["table", "json", "sarif", "github"] {
            let o = run(
                &fx,
                &[
                    "scan",
                    "--format",
                    format,
                    "--select",
                    "SA4,SA004",
                    "--env-file",
                    "deploy.env",
                    file,
                ],
            );
            assert!(matches!(o.status.code(), Some(1 | 2)), "{file} {format}");
            let all = format!("{}\n{}", stdout(&o), stderr(&o));
            assert_no_leak(&fx.secrets, &all, &format!("{format} {file}"));
        }
    }
}

#[test]
fn a_malformed_env_file_line_does_not_echo_its_value() {
    // A `KEY: value` line (YAML habit) whose base64 value ends in `=` padding: the text before
    // the first `=` is not a variable name, and it holds the secret.
    let dir = tempfile::tempdir().expect("tmp");
    let secret = format!("{}==", fake(21, 26));
    write(dir.path(), "prod.env", &format!("DB_PASSWORD: {secret}\n"));
    write(
        dir.path(),
        "stack.yml",
        "services:\n  web:\n    image: nginx:1.27\n    user: \"10001\"\n",
    );
    let secrets = Secrets {
        all: vec![("env file value", secret)],
    };
    let check = |o: &Output, what: &str, report: Option<&Path>| {
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(o));
        let mut all = format!("{}\n{}", stdout(o), stderr(o));
        if let Some(p) = report {
            all.push_str(&std::fs::read_to_string(p).expect("report"));
        }
        assert!(
            all.contains("prod.env"),
            "{what}: the error names the file: {all}"
        );
        assert_no_leak(&secrets, &all, what);
    };
    for format in ["table", "json", "sarif", "github"] {
        let o = run_in(
            dir.path(),
            &[
                "scan",
                "--format",
                format,
                "--env-file",
                "prod.env",
                "stack.yml",
            ],
        );
        check(&o, format, None);
        let o = run_in(
            dir.path(),
            &[
                "scan",
                "--format",
                format,
                "--env-file",
                "prod.env",
                "-o",
                "out.txt",
                "stack.yml",
            ],
        );
        check(
            &o,
            &format!("{format} -o"),
            Some(&dir.path().join("out.txt")),
        );
    }
}

/// SA403, SA404, SA407, SA410, SA411, SA412: values from env files, config files, volume and
/// logging options, labels and swarm tokens never appear in any format, to stdout or a file.
#[test]
fn file_option_label_and_token_rules_never_print_a_value() {
    let mut s = Secrets { all: vec![] };
    let env_pw = s.add("env_file password", fake(31, 18));
    let env_url_pw = s.add("env_file URL password", fake(32, 14));
    let cfg_pw = s.add("config file password", fake(33, 18));
    let cifs_pw = s.add("CIFS password", fake(34, 16));
    let splunk = s.add("splunk token", fake(35, 24));
    let label = s.add("token label", fake(36, 18));
    let lower36 = |seed, len| fake(seed, len).to_ascii_lowercase();
    // the fixed prefixes are in the rule docs: only the random parts are distinctive
    let join = format!(
        "SWMTKN-1-{}-{}",
        s.add("join token digest", lower36(37, 50)),
        s.add("join token secret", lower36(38, 25))
    );
    let unlock = format!("SWMKEY-1-{}", s.add("unlock key", fake(39, 43)));
    let dir = tempfile::tempdir().expect("tmp");
    write(
        dir.path(),
        "prod.env",
        &format!(
            "DB_PASSWORD={env_pw}\nCACHE_URL=redis://app:{env_url_pw}@cache:6379/0\nJOIN={join}\n"
        ),
    );
    write(
        dir.path(),
        "app.properties",
        &format!("db.password={cfg_pw}\nunlock={unlock}\n"),
    );
    write(
        dir.path(),
        "stack.yml",
        &format!(
            r#"services:
  api:
    image: registry.internal/api:1.2.3
    env_file: prod.env
    environment:
      - SMTP_PASSWORD
      - POSTGRES_HOST_AUTH_METHOD=trust
    labels:
      app.api-token: "{label}"
    logging:
      driver: splunk
      options:
        splunk-token: "{splunk}"
    volumes: [share:/data]
    configs: [app_properties]
configs:
  app_properties:
    file: ./app.properties
volumes:
  share:
    driver_opts:
      type: cifs
      o: "addr=fs,username=svc,password={cifs_pw}"
"#
        ),
    );
    let rules = ["SA403", "SA404", "SA407", "SA410", "SA411", "SA412"];
    for format in ["table", "json", "sarif", "github"] {
        let o = run_in(
            dir.path(),
            &["scan", "--format", format, "-o", "report.out", "stack.yml"],
        );
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        let file = std::fs::read_to_string(dir.path().join("report.out")).expect("report");
        let o2 = run_in(dir.path(), &["scan", "--format", format, "stack.yml"]);
        let all = format!("{file}\n{}\n{}\n{}", stderr(&o), stdout(&o2), stderr(&o2));
        for rule in rules {
            assert!(all.contains(rule), "{format}: no {rule} in\n{all}");
        }
        assert_no_leak(&s, &all, format);
    }
}
