//! `gen-seeds OUT_DIR [COUNT] [SEED]`: write COUNT compose-shaped YAML files produced by the
//! structure-aware generator (from a deterministic pseudo-random byte stream) into OUT_DIR.
//! They seed the byte-level targets, which then mutate them below the grammar.
//!
//! `gen-seeds --stats [COUNT]`: generate COUNT documents in memory and tell how far they get
//! (YAML error, lowering diagnostics, clean) and which errors stop them most often, to tune
//! the generator.

use arbitrary::Unstructured;

fn stats(count: usize) {
    use std::collections::HashMap;
    use swarmaudit::source::{FileId, SourceFile};
    let (mut yaml_err, mut diag, mut clean, mut findings) = (0, 0, 0, 0usize);
    let mut reasons: HashMap<String, usize> = HashMap::new();
    let env = swarmaudit_fuzz::sample_env();
    for bytes in stream(count, 0x5eed) {
        let mut u = Unstructured::new(&bytes);
        let Ok(doc) = swarmaudit_fuzz::gen::generate(&mut u) else { continue };
        let src = SourceFile::new("s.yml".into(), doc);
        match swarmaudit::yaml::load(FileId(0), &src) {
            Err(e) => {
                yaml_err += 1;
                let m: String = e.message.chars().take(50).collect();
                *reasons.entry(m).or_default() += 1;
            }
            Ok(mut root) => {
                let mut uses = vec![];
                let i = swarmaudit::model::interpolate::interpolate_tree(&mut root, &env, &mut uses);
                let l = swarmaudit::model::lower::lower(&root);
                if i.is_err() || !l.diags.is_empty() {
                    diag += 1;
                    let m = match (&i, l.diags.first()) {
                        (Err((_, m)), _) => m.clone(),
                        (_, Some(d)) => d.message.clone(),
                        _ => String::new(),
                    };
                    let m: String = m.chars().take(50).collect();
                    *reasons.entry(m).or_default() += 1;
                } else {
                    clean += 1;
                }
                findings += swarmaudit::engine::run_one(&l.deployment, &Default::default()).len();
            }
        }
    }
    println!("{count} documents: {yaml_err} YAML errors, {diag} with diagnostics, {clean} clean; {findings} findings");
    let mut r: Vec<_> = reasons.into_iter().collect();
    r.sort_by(|a, b| b.1.cmp(&a.1));
    for (m, n) in r.into_iter().take(15) {
        println!("{n:6}  {m}");
    }
}

/// `count` pseudo-random byte strings of varied length (xorshift64*, deterministic).
fn stream(count: usize, mut state: u64) -> impl Iterator<Item = Vec<u8>> {
    (0..count).map(move |i| {
        let len = 64 + (i * 37) % 2048;
        (0..len)
            .map(|_| {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
            })
            .collect()
    })
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--stats") {
        args.next();
        stats(args.next().map_or(2000, |s| s.parse().expect("COUNT")));
        return;
    }
    let out = std::path::PathBuf::from(args.next().expect("usage: gen-seeds OUT_DIR [COUNT] [SEED]"));
    let count: usize = args.next().map_or(300, |s| s.parse().expect("COUNT"));
    let seed: u64 = args.next().map_or(0x5eed, |s| s.parse().expect("SEED"));
    std::fs::create_dir_all(&out).expect("create OUT_DIR");
    let mut written = 0;
    for bytes in stream(count * 10, seed) {
        if written >= count {
            break;
        }
        let mut u = Unstructured::new(&bytes);
        if let Ok(doc) = swarmaudit_fuzz::gen::generate(&mut u) {
            if doc.len() > 8 {
                std::fs::write(out.join(format!("gen-{written:04}.yml")), doc).expect("write seed");
                written += 1;
            }
        }
    }
    println!("gen-seeds: wrote {written} files to {}", out.display());
}
