mod cluster;
mod compile;
mod e2e;
mod lint;
mod plans;
mod review;
mod test;
mod toc;
