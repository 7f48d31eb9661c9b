//! SQL text: quoting, qualified names and the lexer shared by the schema reader, the rewriter
//! and `remap`.

pub mod cursor;
pub mod filter;
pub mod lexer;
pub mod name;
pub mod quote;
pub mod rewrite;

pub use name::QualifiedName;
