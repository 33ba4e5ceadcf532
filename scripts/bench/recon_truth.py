#!/usr/bin/env python3
"""The exact outcome every line of a settlement report must get, for scripts/bench/recon.

  recon_truth.py --rows ROWS [--seed S] [--gen PATH] FILE.csv[.gz]

gen.py's own counts (on its stderr) say how many mismatches it injected, but not what a correct
matcher must report: a mismatch injected on a transaction that never reached the ledger is
`missing_internal`, not `amount_mismatch`. This reads the report alone (columns by header name)
and decides each line from first principles, using gen.py's pure functions (imported by path, so
the truth follows the generator if it changes): the processor's id is a bijection of the ledger
transaction number t (ref = t * REF_MUL mod 2^96), so inverting it names t, and Txn.fields(t)
says whether t is in the ledger (a card movement, not dropped) and its true amount. A line whose
id is not ours is tried by its metadata (our transaction id), inverted the same way.

Prints `TRUTH <name> <n>` for every exception kind and for lines, matched, fee_lines, payouts
(distinct payout ids) and payout_currencies (distinct payout and currency pairs). A fresh
database has settled nothing before (already_settled 0), knows no payouts (payout_mismatch 0),
and an import does not run the daily unsettled-legs check (missing_at_psp 0).
"""
import argparse, csv, gzip, importlib.util, io, os, sys

KINDS = ('missing_internal', 'unknown_reference', 'amount_mismatch', 'currency_mismatch',
         'duplicate_line', 'already_settled', 'payout_mismatch', 'missing_at_psp')
# ISO 4217 currencies the processor reports without minor units (Stripe's zero-decimal list).
ZERO_DECIMAL = {'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf'}


def load_gen(path):
    spec = importlib.util.spec_from_file_location('recon_gen', path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen


def minor(text, currency):
    """Decimal major units as written in the report -> integer minor units, exactly (no floats)."""
    sign = -1 if text.startswith('-') else 1
    whole, _, frac = text.lstrip('-').partition('.')
    places = 0 if currency in ZERO_DECIMAL else 2
    if len(frac) > places:
        raise ValueError(f'amount {text!r} has more decimals than {currency} allows')
    return sign * int((whole or '0') + frac.ljust(places, '0'))


class Ledger:
    """What the synthetic ledger holds, computed rather than read."""

    def __init__(self, gen, rows, seed):
        # start and days as gen.py's defaults: the bench never changes them.
        self.g = gen.Txn(rows, seed, '2022-01-01', 1095)
        self.gen = gen
        self.ref_inv = pow(gen.REF_MUL, -1, 1 << 96)
        self.uuid_inv = pow(gen.UUID_MUL, -1, 1 << 128)

    def leg(self, t):
        """(kind, amount) of transaction t's clearing leg, or None when the ledger has none."""
        if not 0 <= t < self.g.T:
            return None
        kind, amount, _, _, dropped = self.g.fields(t)
        return None if kind is None or dropped else (kind, amount)

    def named_by(self, source_id):
        """Transaction number t a processor id names (ch_/re_ + 24 hex digits), or None."""
        prefix, _, digits = source_id.partition('_')
        if prefix not in ('ch', 're') or len(digits) != 24:
            return None
        return (int(digits, 16) * self.ref_inv) & self.gen.M96

    def by_source(self, source_id):
        """The clearing leg (kind, amount) carrying this processor id, or None."""
        t = self.named_by(source_id)
        found = self.leg(t) if t is not None else None
        return found if found and found[0] == source_id[:2] else None

    def by_metadata(self, txn_id, hint):
        """Transaction number t whose id is txn_id (hint: the t the source id named, tried
        first), and its clearing leg or None; None when no t has that id."""
        if hint is not None and 0 <= hint < self.g.T and self.g.uuid(hint) == txn_id:
            return hint, self.leg(hint)
        h = txn_id.replace('-', '')
        if len(h) != 32:
            return None
        # uuid() overwrites two nibbles (12 and 16) with fixed digits: try all 256 originals.
        for a in range(16):
            for b in range(16):
                u = int(h[:12] + '%x' % a + h[13:16] + '%x' % b + h[17:], 16)
                t = ((u - self.g.usalt) * self.uuid_inv) & self.gen.M128
                if t < self.g.T and self.g.uuid(t) == txn_id:
                    return t, self.leg(t)
        return None


def outcome(ledger, row):
    if row['reporting_category'] == 'fee':
        return 'fee'
    currency = row['currency']
    gross = minor(row['gross'], currency)
    leg = ledger.by_source(row['source_id'])
    metadata = row['payment_metadata[hourglass_txn_id]']
    if leg is None and metadata:
        found = ledger.by_metadata(metadata, ledger.named_by(row['source_id']))
        leg = found[1] if found else None
        if leg is None:
            return 'missing_internal'   # ours (it carries our id), but the ledger never booked it
    if leg is None:
        return 'unknown_reference'
    if currency.upper() != 'GBP':       # every synthetic clearing leg is in GBP
        return 'currency_mismatch'
    return 'matched' if gross == leg[1] else 'amount_mismatch'


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('file')
    p.add_argument('--rows', type=int, required=True, help='ledger legs the report was generated against')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--gen', default=os.environ.get('RECON_GEN', '/work/shared/recon/gen.py'))
    a = p.parse_args()
    ledger = Ledger(load_gen(a.gen), a.rows, a.seed)
    counts = dict.fromkeys(KINDS + ('matched', 'fee'), 0)
    seen, payouts, pairs = set(), set(), set()
    lines = 0
    raw = gzip.open(a.file, 'rb') if a.file.endswith('.gz') else open(a.file, 'rb')
    with io.TextIOWrapper(raw, encoding='utf-8', newline='') as f:
        for row in csv.DictReader(f):
            lines += 1
            payouts.add(row['automatic_payout_id'])
            pairs.add((row['automatic_payout_id'], row['currency']))
            bt = row['balance_transaction_id']
            if bt in seen:
                counts['duplicate_line'] += 1
                continue
            seen.add(bt)
            counts[outcome(ledger, row)] += 1
    for kind in KINDS:
        print(f'TRUTH {kind} {counts[kind]}')
    print(f'TRUTH lines {lines}')
    print(f'TRUTH matched {counts["matched"]}')
    print(f'TRUTH fee_lines {counts["fee"]}')
    print(f'TRUTH payouts {len(payouts)}')
    print(f'TRUTH payout_currencies {len(pairs)}')


if __name__ == '__main__':
    sys.exit(main())
