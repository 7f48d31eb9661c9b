#!/usr/bin/env perl
# extract-pg-dump-tests.pl — prints the `create_sql` snippets of PostgreSQL's own pg_dump TAP test
# (src/bin/pg_dump/t/002_pg_dump.pl, any branch from REL_14_STABLE on) in the order the test runs
# them, each preceded by a `-- test: <name>` comment.
#
#   scripts/extract-pg-dump-tests.pl [options] 002_pg_dump.pl > out.sql
#
# Options:
#   --database=DB   print the snippets the test runs in database DB (default: postgres, where the
#                   test creates almost everything; a few run in regress_pg_dump_test or
#                   regress_public_owner). --database=all prints every snippet.
#   --skip=NAME     leave out test NAME (repeatable). A skipped test is still listed, as a
#                   `-- skipped test: <name>` comment line, so a reader sees what was left out.
#   --skip-file=F   leave out every test named in F: one name a line, then optionally a tab (or
#                   ` # `) and a reason; blank lines and lines starting with `#` are ignored.
#                   The reason is printed on the `-- skipped test:` line.
#   --list          print one line per test with a create_sql instead: order, name, database,
#                   flags (collation / icu / lz4 / ...), tab-separated.
#
# How: the test file is Perl, and its `create_sql` values are Perl expressions (single-quoted
# strings, q{}, qq{} with interpolation, heredocs, `.` concatenation), so rather than parse those
# by hand this lets Perl itself evaluate them. It reads the file as text, keeps everything before
# the line that starts the test cluster (`my $node = PostgreSQL::Test::Cluster->new(...)`, or
# `get_new_node(...)` on 14) — that part only builds %pgdump_runs and %tests, out of string and
# regexp literals — and evaluates it with the test modules replaced by stubs
# (PostgreSQL::Test::Utils / ::Cluster on 15+, TestLib / PostgresNode on 14, and Test::More), so
# nothing is run, no cluster is started and no file is written. `check_pg_config` answers true
# (the snippets for lz4 etc. are printed; leave them out with --skip if the target lacks them).
# `$ENV{with_icu}` is seen as 'yes'. A `return \%tests;` appended to that text hands back the
# lexical hash.
#
# Order: exactly the test's normalisation and sort. The test sorts `keys %tests` with a comparator
# that orders by create_order, puts tests with a create_order before those without, and returns 0
# otherwise; since `keys` order is Perl's per-process hash order, ties (same create_order, or
# neither has one) come out in an unspecified order in the test itself. Here ties are broken by
# test name (byte order) so the output is deterministic. Since the test itself runs ties in an
# order that changes from run to run, no snippet can rely on another of the same create_order.
# Tests with no create_order come last, as in the test. Each snippet is normalised as the
# test does it: chomp, then a `;` appended if it does not end in one, then a blank line.
use strict;
use warnings;
use Getopt::Long;

my $database = 'postgres';
my @skip;
my @skip_files;
my $list = 0;
GetOptions(
    'database=s'  => \$database,
    'skip=s'      => \@skip,
    'skip-file=s' => \@skip_files,
    'list'        => \$list,
) or die "usage: $0 [--database=DB|all] [--skip=NAME]... [--skip-file=FILE] [--list] 002_pg_dump.pl\n";
my $file = shift @ARGV or die "usage: $0 [options] 002_pg_dump.pl\n";

my %skip = map { $_ => '' } @skip;
for my $f (@skip_files) {
    open my $fh, '<', $f or die "$f: $!\n";
    while (my $line = <$fh>) {
        chomp $line;
        next if $line =~ /^\s*(#|$)/;
        my ($name, $why) = split /\t+|\s+#\s+/, $line, 2;
        $name =~ s/\s+$//;
        $skip{$name} = $why // '';
    }
}

# --- stubs for the test modules -------------------------------------------------------------
{
    package Stub::Exporter;
    our @FUNCS = qw(tempdir tempdir_short check_pg_config command_ok command_fails_like
      command_like command_exit_is);
    sub import_into {
        my ($pkg, $caller) = @_;
        no strict 'refs';
        for my $f (@FUNCS) { *{"${caller}::$f"} = \&{"${pkg}::$f"} if defined &{"${pkg}::$f"}; }
    }
}
for my $pkg (qw(PostgreSQL::Test::Utils TestLib)) {
    no strict 'refs';
    *{"${pkg}::tempdir"}         = sub { '/nonexistent/tmp_check' };
    *{"${pkg}::tempdir_short"}   = sub { '/nonexistent/tmp' };
    *{"${pkg}::check_pg_config"} = sub { 1 };
    for my $f (qw(command_ok command_fails_like command_like command_exit_is)) {
        *{"${pkg}::$f"} = sub { die "the extractor evaluated past the test definitions\n" };
    }
    ${"${pkg}::timeout_default"} = 180;
    ${"${pkg}::windows_os"}      = 0;
    *{"${pkg}::import"} = sub { Stub::Exporter::import_into($pkg, scalar caller) };
    (my $pm = "$pkg.pm") =~ s{::}{/}g;
    $INC{$pm} = __FILE__;
}
for my $pkg (qw(PostgreSQL::Test::Cluster PostgresNode Test::More)) {
    no strict 'refs';
    *{"${pkg}::import"} = sub { };
    (my $pm = "$pkg.pm") =~ s{::}{/}g;
    $INC{$pm} = __FILE__;
}
$ENV{with_icu} = 'yes';

# --- evaluate the definitions part of the test file -----------------------------------------
open my $in, '<', $file or die "$file: $!\n";
my $text = do { local $/; <$in> };
close $in;
my $cut = $text =~ /^my \$node\s*=\s*(?:PostgreSQL::Test::Cluster->new|PostgresNode->new|get_new_node)\b/m
  ? $-[0]
  : die "$file: no `my \$node = ...` line found: not a 002_pg_dump.pl?\n";
my $prefix = substr($text, 0, $cut);
die "$file: no `my %tests = (` in the definitions part\n" unless $prefix =~ /^my %tests = \(/m;

my $tests = eval "package Extracted;\n#line 1 \"$file\"\n$prefix\n;return \\%tests;\n";
die "$file: evaluating the test definitions failed: $@" unless ref $tests eq 'HASH';

# --- order as the test does ------------------------------------------------------------------
my @names = sort {
    my ($oa, $ob) = ($tests->{$a}{create_order}, $tests->{$b}{create_order});
    ($oa && $ob) ? ($oa <=> $ob || $a cmp $b)
      : $oa ? -1
      : $ob ? 1
      : $a cmp $b
} grep { $tests->{$_}{create_sql} } keys %$tests;

for my $name (keys %skip) {
    warn "warning: --skip $name: no test of that name with a create_sql in $file\n"
      unless grep { $_ eq $name } @names;
}

for my $name (@names) {
    my $t  = $tests->{$name};
    my $db = $t->{database} // 'postgres';
    next unless $database eq 'all' || $db eq $database;
    if ($list) {
        my @flags = grep { exists $t->{$_} } qw(collation icu lz4 zstd gzip);
        printf "%s\t%s\t%s\t%s\n", $t->{create_order} // '-', $name, $db, join(',', @flags);
        next;
    }
    if (exists $skip{$name}) {
        print "-- skipped test: $name", ($skip{$name} ne '' ? " ($skip{$name})" : ''), "\n\n";
        next;
    }
    my $sql = $t->{create_sql};
    chomp $sql;
    $sql .= ';' unless substr($sql, -1) eq ';';
    print "-- test: $name\n";
    print "-- database: $db\n" if $db ne 'postgres';
    print $sql, "\n\n";
}
