mod cluster;
mod compile;
mod e2e;
mod plans;
mod test;
mod toc;
