//! Counts as people read them: `17,889`, not `17889`. Written here (a few lines) rather than
//! taken from a crate: the app shows English text only, and counts are whole numbers.
//! Templates call it by path (`crate::util::numbers::grouped(n)`), which hands a reference.

/// The whole number `n` (any integer type) with a comma between each group of three digits.
pub fn grouped(n: &impl std::fmt::Display) -> String {
    let text = n.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let mut out = String::with_capacity(text.len() + digits.len() / 3);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn thousands_are_grouped_by_commas() {
        let cases = [
            (0_u64, "0"),
            (7, "7"),
            (999, "999"),
            (1_000, "1,000"),
            (17_889, "17,889"),
            (1_234_567, "1,234,567"),
        ];
        for (n, text) in cases {
            assert_eq!(grouped(&n), text);
        }
        assert_eq!(grouped(&-12_345_i64), "-12,345");
        assert_eq!(grouped(&12_usize), "12");
    }
}
