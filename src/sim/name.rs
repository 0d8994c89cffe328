//! Names of things (`m17`, `orders-0`, `P1`): short strings kept inline, longer ones shared.
//!
//! The engine names every message; generated names are short, and allocating each one cost more
//! than simulating the message.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

const INLINE: usize = 22;

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Repr);

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

impl Name {
    pub fn new(text: &str) -> Name {
        if text.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Name(Repr::Inline {
                len: text.len() as u8,
                bytes,
            })
        } else {
            Name(Repr::Shared(Arc::from(text)))
        }
    }

    /// `prefix` followed by a number, without a temporary `String` or the formatting machinery
    /// (the engine names every message it creates).
    pub fn numbered(prefix: &str, number: u64) -> Name {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = number;
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let len = prefix.len() + digits.len() - start;
        if len > INLINE {
            return Name::new(&format!("{prefix}{number}"));
        }
        let mut bytes = [0; INLINE];
        bytes[..prefix.len()].copy_from_slice(prefix.as_bytes());
        bytes[prefix.len()..len].copy_from_slice(&digits[start..]);
        Name(Repr::Inline {
            len: len as u8,
            bytes,
        })
    }
}

impl Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Shared(text) => text,
        }
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name::new(text)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_inline_long_names_shared() {
        assert_eq!(&*Name::numbered("m", 17), "m17");
        assert_eq!(&*Name::numbered("m", 0), "m0");
        assert_eq!(&*Name::numbered("P", u64::MAX), "P18446744073709551615");
        let long = Name::numbered("a-long-prefix-", u64::MAX);
        assert_eq!(&*long, "a-long-prefix-18446744073709551615");
        assert_eq!(&*Name::new("订单-主题-0"), "订单-主题-0");
        let long = "a-very-long-topic-name-indeed-0";
        assert_eq!(&*Name::new(long), long);
        assert_eq!(Name::new("x"), Name::from("x"));
        assert_eq!(
            format!("{}|{:?}", Name::new("P1"), Name::new("P1")),
            "P1|\"P1\""
        );
    }
}
