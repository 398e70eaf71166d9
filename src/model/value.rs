//! A scalar value with its location, read the way Docker's loader reads it.

use crate::model::Loc;
use crate::yaml::{Kind, Node};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    /// The value after interpolation, stringified as Docker does (`true`, `1.5`).
    pub text: String,
    pub kind: ScalarKind,
    pub loc: Loc,
    /// Variables without a value that the text depends on: when non-empty the value is unknown.
    pub unresolved: Vec<String>,
}

impl Val {
    pub fn from_node(node: &Node) -> Option<Val> {
        let kind = match node.kind {
            Kind::Null => ScalarKind::Null,
            Kind::Bool(_) => ScalarKind::Bool,
            Kind::Int(_) => ScalarKind::Int,
            Kind::Float(_) => ScalarKind::Float,
            Kind::Str(_) => ScalarKind::Str,
            Kind::Seq(_) | Kind::Map(_) => return None,
        };
        Some(Val {
            text: node.scalar_text().unwrap_or_default(),
            kind,
            loc: Loc::File {
                span: node.span,
                def: node.def,
            },
            unresolved: node.unresolved.clone(),
        })
    }

    /// A value that is not in any file (live API, synthetic).
    pub fn api(text: impl Into<String>, loc: Loc) -> Val {
        Val {
            text: text.into(),
            kind: ScalarKind::Str,
            loc,
            unresolved: vec![],
        }
    }

    pub fn is_known(&self) -> bool {
        self.unresolved.is_empty()
    }

    pub fn is_null(&self) -> bool {
        self.kind == ScalarKind::Null
    }

    /// YAML 1.1 / Go `ParseBool`-style booleans as stack deploy casts them.
    pub fn as_bool(&self) -> Option<bool> {
        parse_bool(&self.text)
    }

    pub fn as_u64(&self) -> Option<u64> {
        parse_int(&self.text).and_then(|i| u64::try_from(i).ok())
    }

    pub fn as_i64(&self) -> Option<i64> {
        parse_int(&self.text)
    }

    /// Go duration (`10s`, `1m30s`, `500ms`) in nanoseconds.
    pub fn as_duration_ns(&self) -> Option<u64> {
        parse_duration_ns(&self.text)
    }

    /// Memory size (`512M`, `1g`, `1073741824`) in bytes.
    pub fn as_bytes(&self) -> Option<u64> {
        parse_bytes(&self.text)
    }
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "on" | "1" => Some(true),
        "false" | "no" | "n" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// Go `ParseInt(s, 0, 64)`: decimal, `0x`, `0o`, and a leading `0` meaning octal.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim().replace('_', "");
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, s.strip_prefix('+').unwrap_or(&s).to_string()),
    };
    let v = if let Some(h) = digits.strip_prefix("0x").or(digits.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = digits.strip_prefix("0o").or(digits.strip_prefix("0O")) {
        i64::from_str_radix(o, 8).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

pub fn parse_duration_ns(s: &str) -> Option<u64> {
    let s = s.trim();
    if s == "0" {
        return Some(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += n * mult;
        rest = &rest[unit_end..];
    }
    Some(total as u64)
}

pub fn parse_bytes(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mult) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1u64 << 10),
        'm' => (&t[..t.len() - 1], 1 << 20),
        'g' => (&t[..t.len() - 1], 1 << 30),
        't' => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let n: f64 = num.trim().parse().ok()?;
    (n >= 0.0).then_some((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_parsing() {
        assert_eq!(parse_int("0400"), Some(256));
        assert_eq!(parse_int("0o400"), Some(256));
        assert_eq!(parse_int("440"), Some(440));
        assert_eq!(parse_duration_ns("1m30s"), Some(90_000_000_000));
        assert_eq!(parse_duration_ns("500ms"), Some(500_000_000));
        assert_eq!(parse_duration_ns("abc"), None);
        assert_eq!(parse_bytes("512M"), Some(512 << 20));
        assert_eq!(parse_bytes("1gb"), Some(1 << 30));
        assert_eq!(parse_bool("Yes"), Some(true));
        assert_eq!(parse_bool("off"), Some(false));
    }
}
