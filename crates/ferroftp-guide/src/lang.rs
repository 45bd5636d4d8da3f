//! The languages ferroftp speaks to people.

use std::fmt;
use std::str::FromStr;

/// A language of the guide and of the message tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// Vietnamese (tiếng Việt).
    Vi,
}

impl Lang {
    /// Every language ferroftp is written in.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Vi];

    /// The language's tag: `en` or `vi`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A language tag other than `en` or `vi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLang(pub String);

impl fmt::Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown language {:?}: use en or vi", self.0)
    }
}

impl std::error::Error for UnknownLang {}

impl FromStr for Lang {
    type Err = UnknownLang;

    /// Parses `en` or `vi`, ignoring case and surrounding blanks; a region suffix such as
    /// `en-US` or `vi_VN` is accepted too.
    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        let t = s.trim().to_ascii_lowercase();
        let base = t.split(['-', '_', '.']).next().unwrap_or("");
        match base {
            "en" => Ok(Lang::En),
            "vi" => Ok(Lang::Vi),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

// Strict `en`/`vi` values with their names in `--help`, as clap's derive would give them.
#[cfg(feature = "clap")]
impl clap::ValueEnum for Lang {
    fn value_variants<'a>() -> &'a [Self] {
        &Lang::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let (name, help) = match self {
            Lang::En => ("en", "English"),
            Lang::Vi => ("vi", "Vietnamese (tiếng Việt)"),
        };
        Some(clap::builder::PossibleValue::new(name).help(help))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_parses() {
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        assert_eq!(" VI ".parse::<Lang>(), Ok(Lang::Vi));
        assert_eq!("vi_VN.UTF-8".parse::<Lang>(), Ok(Lang::Vi));
        assert_eq!("en-US".parse::<Lang>(), Ok(Lang::En));
        let err = "fr".parse::<Lang>().unwrap_err();
        assert!(err.to_string().contains("en or vi"), "{err}");
        assert!("".parse::<Lang>().is_err());
    }
}
