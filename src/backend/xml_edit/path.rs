//! Element paths for [`super::apply`]: parsing `/a/{uri}b[2][@k='v']` and building them.

use std::fmt;

/// One step: an element's namespace and local name, optional 1-based position among
/// same-named siblings, and attribute equalities.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    /// Namespace URI; `None` matches only elements in no namespace.
    pub ns: Option<String>,
    pub name: String,
    pub index: Option<usize>,
    pub attrs: Vec<(String, String)>,
}

/// An absolute path from the root element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Path {
    pub steps: Vec<Step>,
}

impl Path {
    /// A path to the root element `name`.
    pub fn root(name: &str) -> Path {
        Path::default().child(name)
    }

    /// This path extended by a child element `name` (no namespace).
    pub fn child(mut self, name: &str) -> Path {
        self.steps.push(Step {
            name: name.to_owned(),
            ..Step::default()
        });
        self
    }

    /// The last step limited to the `index`-th (1-based) same-named sibling.
    pub fn nth(mut self, index: usize) -> Path {
        if let Some(s) = self.steps.last_mut() {
            s.index = Some(index);
        }
        self
    }

    /// The last step limited to elements whose attribute `key` is `value`.
    pub fn with_attr(mut self, key: &str, value: &str) -> Path {
        if let Some(s) = self.steps.last_mut() {
            s.attrs.push((key.to_owned(), value.to_owned()));
        }
        self
    }

    /// The last step in namespace `uri`.
    pub fn in_ns(mut self, uri: &str) -> Path {
        if let Some(s) = self.steps.last_mut() {
            s.ns = Some(uri.to_owned());
        }
        self
    }

    /// Parse `/a/b[2]/{uri}c[@k='v']` (the leading `/` is optional). The error says what
    /// is wrong and where.
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut p = Parser {
            chars: text.char_indices().peekable(),
            text,
        };
        let mut path = Path::default();
        p.eat('/');
        loop {
            path.steps.push(p.step()?);
            match p.chars.next() {
                None => return Ok(path),
                Some((_, '/')) => {}
                Some((i, c)) => return Err(format!("unexpected “{c}” at {i} in {text}")),
            }
        }
    }
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
}

impl Parser<'_> {
    fn eat(&mut self, c: char) -> bool {
        self.chars.next_if(|&(_, x)| x == c).is_some()
    }

    fn until(&mut self, end: char) -> Result<String, String> {
        let mut out = String::new();
        for (_, c) in self.chars.by_ref() {
            if c == end {
                return Ok(out);
            }
            out.push(c);
        }
        Err(format!("missing “{end}” in {}", self.text))
    }

    fn name(&mut self) -> Result<String, String> {
        let mut out = String::new();
        while let Some((_, c)) = self
            .chars
            .next_if(|&(_, c)| !matches!(c, '/' | '[' | ']' | '{' | '}' | '=' | '\'' | '"'))
        {
            if c.is_whitespace() {
                return Err(format!("white space in a name in {}", self.text));
            }
            out.push(c);
        }
        if out.is_empty() {
            return Err(format!("a name is missing in {}", self.text));
        }
        Ok(out)
    }

    fn step(&mut self) -> Result<Step, String> {
        let mut step = Step::default();
        if self.eat('{') {
            step.ns = Some(self.until('}')?);
        }
        step.name = self.name()?;
        while self.eat('[') {
            if self.eat('@') {
                let key = self.name()?;
                if !self.eat('=') {
                    return Err(format!("“=” expected after @{key} in {}", self.text));
                }
                let quote = match self.chars.next() {
                    Some((_, q @ ('\'' | '"'))) => q,
                    _ => return Err(format!("a quoted value expected in {}", self.text)),
                };
                let value = self.until(quote)?;
                step.attrs.push((key, value));
            } else {
                let digits = self.until(']')?;
                let index = digits
                    .parse::<usize>()
                    .ok()
                    .filter(|&i| i > 0)
                    .ok_or_else(|| format!("bad position “{digits}” in {}", self.text))?;
                step.index = Some(index);
                continue;
            }
            if !self.eat(']') {
                return Err(format!("“]” expected in {}", self.text));
            }
        }
        Ok(step)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.steps {
            f.write_str("/")?;
            if let Some(ns) = &s.ns {
                write!(f, "{{{ns}}}")?;
            }
            f.write_str(&s.name)?;
            if let Some(i) = s.index {
                write!(f, "[{i}]")?;
            }
            for (k, v) in &s.attrs {
                let q = if v.contains('\'') { '"' } else { '\'' };
                write!(f, "[@{k}={q}{v}{q}]")?;
            }
        }
        Ok(())
    }
}
