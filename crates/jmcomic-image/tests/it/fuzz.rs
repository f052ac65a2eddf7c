//! A small mutation loop: random byte flips, insertions, deletions, truncations and header
//! splices of valid small files, fed to `process_page` and the lower-level functions. Nothing
//! may panic; any result is fine.

use jmcomic_image::{
    EncodeSettings, Format, Limits, PageJob, PageOutput, Verify, check_complete, decode, probe,
    process_page, sniff,
};

use crate::common::small_files;
use crate::synth::Rng;

/// Default number of mutated inputs; `FUZZ_ITERS` overrides it for longer local runs.
const ITERATIONS: usize = 2_000;

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        match rng.below(7) {
            // Flip a random bit.
            0 | 1 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            // Overwrite a header byte (the first 64 bytes hold sizes and dimensions).
            2 if !b.is_empty() => {
                let i = rng.below(b.len().min(64));
                b[i] = rng.next_u64() as u8;
            }
            // Truncate.
            3 if !b.is_empty() => {
                let keep = rng.below(b.len());
                b.truncate(keep);
            }
            // Insert a random byte.
            4 => {
                let i = rng.below(b.len() + 1);
                b.insert(i, rng.next_u64() as u8);
            }
            // Delete a range.
            5 if b.len() > 2 => {
                let i = rng.below(b.len() - 1);
                let n = 1 + rng.below((b.len() - i).min(16));
                b.drain(i..i + n);
            }
            // Write an extreme 32-bit value somewhere in the header.
            _ if b.len() >= 8 => {
                let i = rng.below(b.len().min(40) - 3);
                let v: u32 = [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x0001_0000][rng.below(5)];
                b[i..i + 4].copy_from_slice(&v.to_be_bytes());
            }
            _ => {}
        }
    }
    b
}

#[test]
fn mutated_inputs_never_panic() {
    let files = small_files();
    let settings = EncodeSettings::default();
    // Tight limits keep a mutated "16000x4000" header from costing a real 192 MB decode.
    let limits = Limits {
        max_width: 1024,
        max_height: 1024,
        max_pixels: 1 << 18,
    };
    let iterations = std::env::var("FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ITERATIONS);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xF022);
    let mut rng = Rng::new(seed);
    let (mut ok, mut raw, mut corrupt) = (0usize, 0usize, 0usize);
    for iteration in 0..iterations {
        let (format, original) = &files[iteration % files.len()];
        let bytes = mutate(&mut rng, original);
        let target = Format::ALL[rng.below(Format::ALL.len())];
        let strips = [0, 0, 2, 10, 20][rng.below(5)];
        let verify = if rng.below(2) == 0 {
            Verify::Structure
        } else {
            Verify::Full
        };
        let job = PageJob {
            bytes: &bytes,
            strips,
            target,
            settings: &settings,
            limits: &limits,
            verify,
        };
        match process_page(&job) {
            Ok(PageOutput::Raw) => raw += 1,
            Ok(_) => ok += 1,
            Err(e) => {
                corrupt += usize::from(e.is_corrupt_input());
                // Display must not panic either.
                let _ = e.to_string();
            }
        }
        let _ = sniff(&bytes);
        let _ = probe(&bytes);
        let _ = check_complete(&bytes);
        if *format != Format::Gif {
            let _ = decode(&bytes, &limits);
        }
    }
    // The loop exercised every outcome.
    assert!(
        ok > 0 && raw > 0 && corrupt > 0,
        "ok {ok}, raw {raw}, corrupt {corrupt}"
    );
}
