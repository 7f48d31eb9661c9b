//! Laying the compiled model out as text: minijinja templates, one per artifact, embedded in the
//! binary. Templates decide layout only; every name they print arrives quoted from Rust.

use std::path::Path;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::Error;
use crate::artifacts::{Makes, TEMPLATES};

pub struct Templates {
    env: Environment<'static>,
    /// The templates `--templates` put in place of built-in ones, by name, with their text.
    replaced: Vec<(String, String)>,
}

impl Templates {
    /// The templates built into restage.
    pub fn embedded() -> Self {
        Self::from_sources(
            TEMPLATES.iter().map(|t| (t.name, t.source.to_owned())),
            Vec::new(),
        )
        .expect("embedded templates compile (tested)")
    }

    /// The built-in templates, with those `dir` holds in their place.
    pub fn with_overrides(dir: &Path) -> Result<Self, Error> {
        let read_dir = |source| Error::Read {
            path: dir.to_owned(),
            source,
        };
        let mut overrides = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_dir)? {
            let entry = entry.map_err(read_dir)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // `restage init` lays out its plan with the built-in template only: no compile
            // output depends on it, so replacing it would only change the plan digest.
            let replaceable = || TEMPLATES.iter().filter(|t| t.makes != Makes::Scaffold);
            if !replaceable().any(|t| t.name == name) {
                let known: Vec<&str> = replaceable().map(|t| t.name).collect();
                return Err(Error::UnknownTemplate {
                    path: entry.path(),
                    known: known.join(", "),
                });
            }
            let source = std::fs::read_to_string(entry.path()).map_err(|source| Error::Read {
                path: entry.path(),
                source,
            })?;
            overrides.push((name, source));
        }
        overrides.sort();
        let sources: Vec<(&str, String)> = TEMPLATES
            .iter()
            .map(|t| {
                let replaced = overrides
                    .iter()
                    .find(|(n, _)| n == t.name)
                    .map(|(_, s)| s.clone());
                (t.name, replaced.unwrap_or_else(|| t.source.to_owned()))
            })
            .collect();
        Self::from_sources(sources.into_iter(), overrides)
    }

    /// The templates that replace built-in ones, by name, sorted.
    pub fn replaced(&self) -> &[(String, String)] {
        &self.replaced
    }

    fn from_sources<'a>(
        sources: impl Iterator<Item = (&'a str, String)>,
        replaced: Vec<(String, String)>,
    ) -> Result<Self, Error> {
        let mut env = Environment::new();
        let syntax = SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|source| Error::Template {
                name: "syntax".into(),
                message: format!("{source:#}"),
            })?;
        env.set_syntax(syntax);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        // Quoting is decided once, in sql::quote: a template says what a text becomes (a SQL
        // literal, a shell word), never how.
        env.add_filter("literal", |text: &str| crate::sql::quote::literal(text));
        env.add_filter("shell", |text: &str| crate::sql::quote::shell_word(text));
        for (name, source) in sources {
            env.add_template_owned(name.to_owned(), source)
                .map_err(|source| Error::Template {
                    name: name.to_owned(),
                    message: format!("{source:#}"),
                })?;
        }
        Ok(Templates { env, replaced })
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String, Error> {
        let fail = |source: minijinja::Error| Error::Template {
            name: name.to_owned(),
            message: format!("{source:#}"),
        };
        self.env
            .get_template(name)
            .map_err(fail)?
            .render(Serde(context))
            .map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_templates_compile() {
        Templates::from_sources(
            TEMPLATES.iter().map(|t| (t.name, t.source.to_owned())),
            Vec::new(),
        )
        .expect("compile");
    }

    #[test]
    fn undefined_variables_are_errors() {
        let templates =
            Templates::from_sources([("t", "{{ missing }}".to_owned())].into_iter(), Vec::new())
                .expect("compiles");
        let err = templates.render("t", &serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("undefined"), "{err}");
    }
}
