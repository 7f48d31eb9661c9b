mod cluster;
mod e2e;
mod test;
mod toc;
