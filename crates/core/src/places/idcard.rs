//! Resident ID numbers (身份证号, GB 11643-1999) and phone numbers: checksum and masking.
//!
//! ID numbers and phones are personal information (个人信息保护法): lists and prints show them
//! masked (`500224********123X`, `138****5678`); only roles that need them see full values.

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits of an ID number, or `None` if they are not 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    Some(CHECK_CHARS[(sum % 11) as usize])
}

/// True when `id` is 18 characters, 17 digits and the right check character (`x` counts as `X`).
pub fn is_valid(id: &str) -> bool {
    if id.len() != 18 || !id.is_ascii() {
        return false;
    }
    let (body, last) = id.split_at(17);
    let last = last.chars().next().map(|c| c.to_ascii_uppercase());
    check_char(body).is_some() && check_char(body) == last
}

/// Upper-cases a trailing `x` and trims; does not validate.
pub fn normalize(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

/// `500224199001011234` → `500224********1234`. Anything that is not an 18-character ID keeps
/// only its last 4 characters visible, so a malformed value never leaks in full.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() == 18 {
        let head: String = chars[..6].iter().collect();
        let tail: String = chars[14..].iter().collect();
        format!("{head}********{tail}")
    } else if chars.len() > 4 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{}{tail}", "*".repeat(chars.len() - 4))
    } else {
        "*".repeat(chars.len())
    }
}

/// `13812345678` → `138****5678`; other lengths keep the first 3 and last 4 when long enough.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n >= 8 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(n - 7))
    } else {
        "*".repeat(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_cases() {
        // (id, valid?) — known-good examples computed by hand with the GB 11643 weights.
        let cases = [
            ("11010519491231002X", true),
            ("11010519491231002x", true),
            ("110105194912310021", false),
            ("440524188001010014", true),
            ("44052418800101001", false),
            ("4405241880010100145", false),
            ("44052418800101001A", false),
            ("", false),
        ];
        for (id, want) in cases {
            assert_eq!(is_valid(id), want, "checksum verdict for {id:?}");
        }
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id("50022419800101123X"), "500224********123X");
        assert_eq!(
            mask_id("12345"),
            "*2345",
            "short values keep only 4 visible"
        );
        assert_eq!(mask_id("123"), "***");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("023-4567890"), "023****7890");
        assert_eq!(mask_phone("12345"), "*****");
    }
}
