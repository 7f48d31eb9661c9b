mod test;
mod toc;
