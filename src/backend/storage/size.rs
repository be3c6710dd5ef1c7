//! Sizes typed by people: "20 GiB", "512M", "1.5G", "10g", "20" → bytes.
//!
//! A number with an optional fraction (`.` or `,`), optional spaces, then a unit, case
//! insensitive. Binary units: `B`, `K`/`KiB`, `M`/`MiB`, `G`/`GiB`, `T`/`TiB`, `P`/`PiB`
//! (a bare letter is binary, as in qemu-img). Decimal units, as libvirt reads them: `KB`,
//! `MB`, `GB`, `TB`, `PB` (powers of 1000). **A bare number means GiB**, the unit the
//! size fields are labelled with. Fractions are exact (no floating point) and cut to
//! whole bytes. Zero, an unknown unit, a missing number and values beyond `u64` are
//! refused with a message that says what to type.

use gettextrs::gettext;

use crate::i18n::gettext_f;

const KIB: u64 = 1024;

/// The multiplier of a unit, or `None` if it is not one.
fn unit_factor(unit: &str) -> Option<u64> {
    let u = unit.to_ascii_lowercase();
    let f = match u.as_str() {
        "" => KIB.pow(3),
        "b" | "byte" | "bytes" => 1,
        "k" | "kib" => KIB,
        "m" | "mib" => KIB.pow(2),
        "g" | "gib" => KIB.pow(3),
        "t" | "tib" => KIB.pow(4),
        "p" | "pib" => KIB.pow(5),
        "kb" => 1000,
        "mb" => 1000u64.pow(2),
        "gb" => 1000u64.pow(3),
        "tb" => 1000u64.pow(4),
        "pb" => 1000u64.pow(5),
        _ => return None,
    };
    Some(f)
}

fn example() -> String {
    gettext("Enter a number and a unit, for example “20 GiB” or “512 MiB”.")
}

/// Parse a size typed by a person into bytes (see the module documentation).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(gettext_f(
            "Enter a size. {example}",
            &[("example", &example())],
        ));
    }
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let (number, unit) = (&t[..num_end], t[num_end..].trim());
    let (whole, fraction) = match number.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_ok(whole) || !digits_ok(fraction) {
        return Err(gettext_f(
            "“{text}” is not a size. {example}",
            &[("text", t), ("example", &example())],
        ));
    }
    let Some(factor) = unit_factor(unit) else {
        return Err(gettext_f(
            "“{unit}” is not a size unit: use B, KiB, MiB, GiB or TiB (or KB, MB, GB, TB).",
            &[("unit", unit)],
        ));
    };
    let too_large = || gettext_f("“{text}” is too large.", &[("text", t)]);
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let mut bytes = whole.checked_mul(factor).ok_or_else(too_large)?;
    // The fraction exactly: digits × factor / 10^len, keeping at most 18 digits so the
    // intermediate product fits in u128.
    let fraction = &fraction[..fraction.len().min(18)];
    if !fraction.is_empty() {
        let num: u128 = fraction.parse().unwrap_or(0);
        let den = 10u128.pow(fraction.len() as u32);
        let part = num * u128::from(factor) / den;
        bytes = bytes
            .checked_add(u64::try_from(part).map_err(|_| too_large())?)
            .ok_or_else(too_large)?;
    }
    if bytes == 0 {
        return Err(gettext("The size must be more than zero."));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn units_and_forms() {
        let ok = [
            ("20 GiB", 20 * GIB),
            ("512M", 512 << 20),
            ("512 MiB", 512 << 20),
            ("1.5G", GIB + GIB / 2),
            ("1,5 gib", GIB + GIB / 2),
            ("10g", 10 * GIB),
            ("20", 20 * GIB),
            ("0.5", GIB / 2),
            (".5 G", GIB / 2),
            ("4096 B", 4096),
            ("4096 bytes", 4096),
            ("1 KiB", 1024),
            ("1k", 1024),
            ("2 TiB", 2 << 40),
            ("1 PiB", 1 << 50),
            ("10 GB", 10_000_000_000),
            ("1 KB", 1000),
            ("3 MB", 3_000_000),
            ("  7 GiB  ", 7 * GIB),
            // Fractions of bytes are cut.
            ("1.5 B", 1),
            ("0.001 KiB", 1),
        ];
        for (text, want) in ok {
            assert_eq!(parse_size(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn refusals_say_why() {
        let unit = parse_size("20 GiBs").unwrap_err();
        assert!(unit.contains("“GiBs”") && unit.contains("GiB"), "{unit}");
        assert!(parse_size("5 xb").unwrap_err().contains("“xb”"));
        assert!(parse_size("20 G B")
            .unwrap_err()
            .contains("not a size unit"));
        assert!(parse_size("").unwrap_err().contains("Enter a size"));
        assert!(parse_size("   ").unwrap_err().contains("Enter a size"));
        for bad in ["GiB", "-5 G", "1.2.3 G", "abc", "."] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.contains("is not a size"), "{bad}: {e}");
        }
        for zero in ["0", "0 B", "0.0 GiB", "0.0000001 B"] {
            assert_eq!(
                parse_size(zero).unwrap_err(),
                "The size must be more than zero.",
                "{zero}"
            );
        }
        for huge in [
            "16384 PiB",
            "99999999999999999999",
            "18446744073709551616 B",
            "17179869184 GiB",
        ] {
            assert!(
                parse_size(huge).unwrap_err().contains("too large"),
                "{huge}"
            );
        }
        // Just below the limit.
        assert_eq!(parse_size("18446744073709551615 B"), Ok(u64::MAX));
    }
}
