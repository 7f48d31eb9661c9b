//! A plan read together with everything it names: the listing, the schema SQL, and how the plan
//! ties to them. Compile, lint, explain and graph all start here.

use std::path::Path;

use crate::Error;
use crate::digest::sha256_hex;
use crate::plan::{self, Plan, PlanErrors, Problem, Resolved};
use crate::schema::{self, SchemaSql};
use crate::toc::{self, Toc};

pub struct Analysis {
    pub plan: Plan,
    /// The listing and the schema SQL exactly as read: the digest and manifest hash them.
    pub listing: Vec<u8>,
    pub schema_text: Vec<u8>,
    pub toc: Toc,
    pub schema: SchemaSql,
    pub resolved: Resolved,
    /// The sha256 of the plan, the listing and the schema SQL, computed once.
    pub sha256: InputHashes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputHashes {
    pub plan: String,
    pub listing: String,
    pub schema: String,
}

/// Reads the plan at `plan_path` and its inputs. Problems of the plan itself and of how it
/// fits the listing are reported together, each at its place in the plan.
pub fn analyze(plan_path: &Path) -> Result<Analysis, Error> {
    let text = std::fs::read_to_string(plan_path).map_err(|source| Error::Read {
        path: plan_path.to_owned(),
        source,
    })?;
    analyze_text(plan_path, &text)
}

/// As [`analyze`], for a plan not (yet) in its file: `plan_path` is where it will be, which
/// its relative paths start from.
pub fn analyze_text(plan_path: &Path, text: &str) -> Result<Analysis, Error> {
    let (plan, mut problems) = plan::read_partial(plan_path, text);
    let fail = |problems| {
        Error::Plan(Box::new(PlanErrors::new(
            &plan_path.display().to_string(),
            text,
            problems,
        )))
    };
    let Some(plan) = plan else {
        return Err(fail(problems));
    };
    let read = |name: &str, span, what: &str, problems: &mut Vec<Problem>| match std::fs::read(
        plan.relative(name),
    ) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            problems.push(Problem::new(
                span,
                format!("cannot read the {what} {name}: {err}"),
                "cannot read",
            ));
            None
        }
    };
    let listing_name = &plan.source.listing.value;
    let Some(listing) = read(
        listing_name,
        plan.source.listing.span,
        "listing",
        &mut problems,
    ) else {
        return Err(fail(problems));
    };
    // Errors in the listing and the schema SQL name them as a path from here, like the plan.
    let toc = toc::parse(&plan.relative(listing_name).display().to_string(), &listing)?;
    let (schema_text, schema) = match &plan.source.schema {
        Some(located) => {
            let Some(bytes) = read(&located.value, located.span, "schema SQL", &mut problems)
            else {
                return Err(fail(problems));
            };
            let schema = schema::split(
                &plan.relative(&located.value).display().to_string(),
                &String::from_utf8_lossy(&bytes),
            )?;
            (bytes, Some(schema))
        }
        None => (Vec::new(), None),
    };
    let resolved = plan::resolve(&plan, &toc, schema.as_ref());
    if let Err(more) = &resolved {
        problems.extend(more.iter().cloned());
    }
    match (resolved, schema) {
        (Ok(resolved), Some(schema)) if problems.is_empty() => Ok(Analysis {
            sha256: InputHashes {
                plan: sha256_hex(plan.text.as_bytes()),
                listing: sha256_hex(&listing),
                schema: sha256_hex(&schema_text),
            },
            plan,
            listing,
            schema_text,
            toc,
            schema,
            resolved,
        }),
        _ => Err(fail(problems)),
    }
}
