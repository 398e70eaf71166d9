//! A hand-written writer of pretty JSON, byte for byte as serde_json's pretty printer writes
//! it (two spaces per level, `": "` after keys, serde_json's string escapes), for the large
//! arrays of the JSON and SARIF reports. Going through serde cost an indirect call per key and
//! a per-byte escape scan with a write per piece; here a string is copied in runs between the
//! bytes that need escaping. The tests of `json` and `sarif` compare it with serde_json on
//! every fixture's findings.

/// Writes pretty JSON into a `String`, starting at an indentation level.
pub(crate) struct Pretty<'a> {
    out: &'a mut String,
    level: usize,
    /// The innermost open object or array already holds a value.
    has_value: bool,
}

impl<'a> Pretty<'a> {
    /// A writer of values at `level` (the level of the array they are elements of, plus one).
    pub fn new(out: &'a mut String, level: usize) -> Self {
        Pretty {
            out,
            level,
            has_value: false,
        }
    }

    /// `,` when the container holds a value, a line break and the indentation, in one write
    /// for the usual depths.
    fn newline(&mut self) {
        const BREAK: &str = concat!(
            ",\n",
            "                                                                ",
            "                                                                "
        );
        let from = usize::from(!self.has_value);
        match BREAK.get(from..2 + 2 * self.level) {
            Some(s) => self.out.push_str(s),
            None => {
                self.out.push_str(&BREAK[from..2]);
                self.indent();
            }
        }
    }

    fn indent(&mut self) {
        const SPACES: &str = "                                                                ";
        let mut n = 2 * self.level;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.push_str(&SPACES[..k]);
            n -= k;
        }
    }

    /// Opens an object (as a value: after [`Pretty::key`] or [`Pretty::element`]).
    pub fn open_object(&mut self) -> &mut Self {
        self.open('{')
    }
    pub fn open_array(&mut self) -> &mut Self {
        self.open('[')
    }
    fn open(&mut self, c: char) -> &mut Self {
        self.out.push(c);
        self.level += 1;
        self.has_value = false;
        self
    }
    pub fn close_object(&mut self) -> &mut Self {
        self.close('}')
    }
    pub fn close_array(&mut self) -> &mut Self {
        self.close(']')
    }
    fn close(&mut self, c: char) -> &mut Self {
        self.level -= 1;
        if self.has_value {
            self.has_value = false; // a line break without a comma
            self.newline();
        }
        self.out.push(c);
        self.has_value = true;
        self
    }

    /// The key of the next member of the open object. Keys are this crate's own names: they
    /// need no escaping.
    pub fn key(&mut self, key: &str) -> &mut Self {
        debug_assert!(!key.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20));
        self.newline();
        self.out.reserve(key.len() + 4);
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\": ");
        self
    }

    /// Starts the next element of the open array.
    pub fn element(&mut self) -> &mut Self {
        self.newline();
        self
    }

    /// Starts the next element of an array opened elsewhere (a report's findings, rendered in
    /// pieces and put in place): the first one starts with its indentation, not a newline.
    pub fn outer_element(&mut self) -> &mut Self {
        if self.has_value {
            self.out.push_str(",\n");
        }
        self.indent();
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        push_escaped(self.out, s);
        self.has_value = true;
        self
    }
    pub fn uint(&mut self, n: usize) -> &mut Self {
        push_uint(self.out, n);
        self.has_value = true;
        self
    }
    pub fn bool(&mut self, b: bool) -> &mut Self {
        push_bool(self.out, b);
        self.has_value = true;
        self
    }

    pub fn str_member(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key).str(value)
    }
    pub fn uint_member(&mut self, key: &str, value: usize) -> &mut Self {
        self.key(key).uint(value)
    }
    pub fn bool_member(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).bool(value)
    }
}

/// `n` in decimal.
pub(crate) fn push_uint(out: &mut String, n: usize) {
    use std::fmt::Write as _;
    // writing to a String cannot fail
    let _ = write!(out, "{n}");
}

pub(crate) fn push_bool(out: &mut String, b: bool) {
    out.push_str(if b { "true" } else { "false" });
}

/// How serde_json escapes each byte: 0 = as it is, else the letter after the backslash
/// (`u` = `\u00XX`).
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Does any of the 8 bytes of `w` need escaping (below 0x20, `"` or `\`)? Exact for the word as
/// a whole (the bit tricks of "Bit Twiddling Hacks": `hasless` and `haszero`).
fn any_to_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w;
    let q = w ^ (ONES * b'"' as u64);
    let quote = q.wrapping_sub(ONES) & !q;
    let b = w ^ (ONES * b'\\' as u64);
    let backslash = b.wrapping_sub(ONES) & !b;
    (below_space | quote | backslash) & HIGH != 0
}

/// `s` as a JSON string, quoted and escaped as serde_json escapes it. Eight bytes are checked at
/// a time; the bytes of a word that holds one to escape, one at a time.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            if !any_to_escape(u64::from_le_bytes(w)) {
                i += 8;
                continue;
            }
        }
        for (j, &b) in bytes.iter().enumerate().skip(i).take(8) {
            let e = ESCAPE[b as usize];
            if e == 0 {
                continue;
            }
            // bytes that need escaping are ASCII: `j` is a character boundary
            out.push_str(&s[start..j]);
            out.push('\\');
            out.push(e as char);
            if e == b'u' {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
            start = j + 1;
        }
        i += 8;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_as_serde_json_escapes_them() {
        let mut all = String::new();
        for c in (0u32..0x80).chain([0xa0, 0x2028, 0x1f600]) {
            all.push(char::from_u32(c).unwrap());
        }
        for s in [
            "",
            "plain",
            "\"",
            "\\",
            "a\nb\tc\r\u{7f}\u{1}",
            "ünïcödé → ok",
            all.as_str(),
        ]
        .into_iter()
        .map(String::from)
        // every escape at every position of a word, and runs longer than a word
        .chain((0..20).flat_map(|at| {
            ["\"", "\\", "\n", "\u{1f}", "\u{0}", " ", "\u{7f}", "é", "!"]
                .map(|c| format!("{}{c}{}", "x".repeat(at), "y".repeat(at % 9)))
        })) {
            let s = s.as_str();
            let mut out = String::new();
            push_escaped(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn a_word_needs_escaping_exactly_when_one_of_its_bytes_does() {
        // fillers that need no escape, next to the ones that do in value (`!`, `#`, `[`, `]`)
        for filler in [
            b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xa2, 0xdc, 0xff,
        ] {
            for b in 0..=255u8 {
                for pos in 0..8 {
                    let mut w = [filler; 8];
                    w[pos] = b;
                    assert_eq!(
                        any_to_escape(u64::from_le_bytes(w)),
                        ESCAPE[b as usize] != 0,
                        "byte {b:#x} at {pos} among {filler:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn values_nest_as_serde_json_pretty_prints_them() {
        let want = serde_json::json!({
            "a": [],
            "b": {},
            "c": [1, {"d": [[], [2]], "e": "x\ny"}],
            "f": false,
            "n": 18446744073709551615u64,
            "t": true,
        });
        let mut out = String::new();
        let mut w = Pretty::new(&mut out, 0);
        w.open_object();
        w.key("a").open_array().close_array();
        w.key("b").open_object().close_object();
        w.key("c").open_array();
        w.element().uint(1);
        w.element().open_object();
        w.key("d").open_array();
        w.element().open_array().close_array();
        w.element().open_array().element().uint(2).close_array();
        w.close_array();
        w.str_member("e", "x\ny");
        w.close_object();
        w.close_array();
        w.bool_member("f", false);
        w.uint_member("n", usize::MAX).bool_member("t", true);
        w.close_object();
        assert_eq!(out, serde_json::to_string_pretty(&want).unwrap());
    }
}
