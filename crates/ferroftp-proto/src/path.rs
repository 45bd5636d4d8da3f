//! Virtual paths: what a client names, resolved against the session's working directory and
//! clamped inside the user's root. Pure string work; the storage backends map a [`VPath`] onto
//! a real location and keep it there.

use std::fmt;

/// A normalized absolute path in the user's virtual tree: starts with `/`, has no empty, `.`
/// or `..` components and no NUL byte. `..` at the root stays at the root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VPath(String);

/// Why a client-supplied path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// The path holds a NUL byte, which no file system can store.
    ContainsNul,
    /// The path is empty where a name is required.
    Empty,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::ContainsNul => f.write_str("file name contains a NUL byte"),
            PathError::Empty => f.write_str("file name is empty"),
        }
    }
}

impl std::error::Error for PathError {}

impl VPath {
    /// The root of the user's tree, `/`.
    pub fn root() -> VPath {
        VPath("/".to_owned())
    }

    /// Resolves `arg` (absolute, or relative to `self`) into a normalized path.
    pub fn resolve(&self, arg: &str) -> Result<VPath, PathError> {
        if arg.contains('\0') {
            return Err(PathError::ContainsNul);
        }
        if arg.is_empty() {
            return Err(PathError::Empty);
        }
        let mut parts: Vec<&str> = if arg.starts_with('/') {
            Vec::new()
        } else {
            self.components().collect()
        };
        for comp in arg.split('/') {
            match comp {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        Ok(VPath::from_components(&parts))
    }

    fn from_components(parts: &[&str]) -> VPath {
        if parts.is_empty() {
            return VPath::root();
        }
        let mut s = String::new();
        for p in parts {
            s.push('/');
            s.push_str(p);
        }
        VPath(s)
    }

    /// The path as text, always starting with `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The components, root first, without separators.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// The parent directory; the root is its own parent.
    pub fn parent(&self) -> VPath {
        let parts: Vec<&str> = self.components().collect();
        match parts.split_last() {
            Some((_, rest)) => VPath::from_components(rest),
            None => VPath::root(),
        }
    }

    /// The last component, `None` for the root.
    pub fn file_name(&self) -> Option<&str> {
        self.components().last()
    }

    /// A child of this directory. `name` must be one plain component.
    pub fn join(&self, name: &str) -> Result<VPath, PathError> {
        if name.contains('\0') {
            return Err(PathError::ContainsNul);
        }
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(PathError::Empty);
        }
        let mut parts: Vec<&str> = self.components().collect();
        parts.push(name);
        Ok(VPath::from_components(&parts))
    }

    /// The path relative to the root, without the leading `/` (empty for the root); what a
    /// backend appends to its base directory or key prefix.
    pub fn relative(&self) -> &str {
        &self.0[1..]
    }
}

impl fmt::Display for VPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cwd: &str, arg: &str) -> String {
        VPath::root()
            .resolve(cwd)
            .and_then(|c| c.resolve(arg))
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|e| format!("err:{e:?}"))
    }

    #[test]
    fn resolves_relative_and_absolute() {
        assert_eq!(r("/a/b", "c"), "/a/b/c");
        assert_eq!(r("/a/b", "/c"), "/c");
        assert_eq!(r("/a/b", "../c"), "/a/c");
        assert_eq!(r("/a", "./x//y/"), "/a/x/y");
    }

    #[test]
    fn dotdot_clamps_at_root() {
        assert_eq!(r("/", "../../etc/passwd"), "/etc/passwd");
        assert_eq!(r("/a", "../../../.."), "/");
        assert_eq!(r("/", ".."), "/");
    }

    #[test]
    fn rejects_nul_and_empty() {
        assert_eq!(r("/", "a\0b"), "err:ContainsNul");
        assert_eq!(r("/", ""), "err:Empty");
    }

    #[test]
    fn parent_and_name() {
        let p = VPath::root().resolve("/a/b").unwrap();
        assert_eq!(p.parent().as_str(), "/a");
        assert_eq!(p.file_name(), Some("b"));
        assert_eq!(VPath::root().parent().as_str(), "/");
        assert_eq!(p.relative(), "a/b");
        assert_eq!(p.join("c").unwrap().as_str(), "/a/b/c");
        assert!(p.join("..").is_err());
    }
}
