//! The plan file as a tree of YAML nodes, each with its place in the file.
//!
//! serde-saphyr parses; the plan reader then walks this tree itself instead of deriving serde
//! types, because serde stops at the first error and a plan author should see every problem of
//! a plan in one run.

use std::fmt;

use miette::SourceSpan;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML value and where it is in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: SourceSpan,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What the value is, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Parses `text`; a YAML syntax error comes back as serde-saphyr's message and location.
pub fn parse(text: &str) -> Result<Node, serde_saphyr::Error> {
    // A repeated key reaches the plan reader, which names both places.
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough,
    };
    let root: Spanned<Raw> = serde_saphyr::from_str_with_options(text, options)?;
    Ok(root.into_node(text))
}

/// The tree as serde-saphyr hands it over, before spans become byte ranges.
#[derive(Debug)]
enum Raw {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

trait IntoNode {
    fn into_node(self, text: &str) -> Node;
}

impl IntoNode for Spanned<Raw> {
    fn into_node(self, text: &str) -> Node {
        let span = self.referenced.span();
        let span = match (span.byte_offset(), span.byte_len()) {
            (Some(offset), Some(len)) => SourceSpan::new((offset as usize).into(), len as usize),
            // Byte offsets exist for string input, which is the only input restage gives.
            _ => SourceSpan::new(0.into(), 0),
        };
        let span = trim_to_text(text, span);
        let value = match self.value {
            Raw::Null => Value::Null,
            Raw::Bool(b) => Value::Bool(b),
            Raw::Int(i) => Value::Int(i),
            Raw::Float(f) => Value::Float(f),
            Raw::Str(s) => Value::Str(s),
            Raw::Seq(items) => Value::Seq(items.into_iter().map(|n| n.into_node(text)).collect()),
            Raw::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.into_node(text), v.into_node(text)))
                    .collect(),
            ),
        };
        Node { value, span }
    }
}

/// A span that runs past the end of the text (an empty value at the end) is cut to fit.
fn trim_to_text(text: &str, span: SourceSpan) -> SourceSpan {
    let start = span.offset().min(text.len());
    let end = (span.offset() + span.len()).min(text.len());
    SourceSpan::new(start.into(), end - start)
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        Raw::deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Raw, E> {
        i128::try_from(v)
            .map(Raw::Int)
            .map_err(|_| E::custom("number too large"))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Raw>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            entries.push((key, value));
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of<'a>(src: &'a str, node: &Node) -> &'a str {
        &src[node.span.offset()..node.span.offset() + node.span.len()]
    }

    #[test]
    fn nodes_know_their_text() {
        let src = "restage: 1\ntables:\n  - public.reading\n  - name: '\"Weird Schema\".\"Order Items\"'\n    after: [app.sensor]\n";
        let root = parse(src).expect("parses");
        let Value::Map(entries) = &root.value else {
            panic!("mapping")
        };
        assert_eq!(text_of(src, &entries[0].0), "restage");
        assert_eq!(entries[0].1.value, Value::Int(1));
        let Value::Seq(tables) = &entries[1].1.value else {
            panic!("list")
        };
        assert_eq!(text_of(src, &tables[0]), "public.reading");
        let Value::Map(detail) = &tables[1].value else {
            panic!("mapping")
        };
        assert_eq!(
            text_of(src, &detail[0].1),
            "'\"Weird Schema\".\"Order Items\"'"
        );
        assert_eq!(
            detail[0].1.value,
            Value::Str("\"Weird Schema\".\"Order Items\"".into())
        );
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let err = parse("tables: [a, b\nname: x\n").unwrap_err();
        assert!(err.location().is_some(), "{err}");
    }
}
