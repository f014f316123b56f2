"""Refund formulas from the rules: + - * over order fields and numbers, in Decimal.

Formulas are admin-written text, so they are parsed with `ast` and only a whitelist of
nodes is evaluated: no names beyond the order's money fields, no calls, no attributes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from mailbot.core.model import Order

FIELDS = ("payment_price", "purchase_cost", "export_postage", "quantity")
# A formula's terms as the mails print them: names, numbers, operators, brackets.
_TERM = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d*)?|\.\d+|\S")
_PRINTED = {"-": "−", "*": "×"}


class FormulaError(ValueError):
    """A refund formula uses something other than + - *, numbers and order fields."""


def _evaluate(node: ast.AST, values: Mapping[str, Decimal]) -> Decimal:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if isinstance(node.op, ast.Add):
            return left + right
        return left - right if isinstance(node.op, ast.Sub) else left * right
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, values)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise FormulaError(f"unknown name {node.id!r} (use {', '.join(FIELDS)})")
        return values[node.id]
    raise FormulaError("only + - *, numbers and order fields are allowed")


def _parse(formula: str) -> ast.Expression:
    try:
        return ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"not a formula: {exc.msg}") from None


def check_formula(formula: str) -> None:
    """Raise FormulaError unless `formula` evaluates over sample order values."""
    _evaluate(_parse(formula), {name: Decimal(1) for name in FIELDS})


def formula_value(formula: str, order: Order) -> Decimal:
    """What `formula` gives for `order`, rounded to cents: below zero when the order's
    costs exceed what was paid."""
    values = {
        "payment_price": order.payment_price,
        "purchase_cost": order.purchase_cost,
        "export_postage": order.export_postage,
        "quantity": Decimal(order.quantity),
    }
    amount = _evaluate(_parse(formula), values)
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def compute_refund(formula: str, order: Order) -> Decimal:
    """The refund for `order` by `formula`, rounded to cents and never below zero."""
    return max(Decimal("0.00"), formula_value(formula, order))


def formula_terms(formula: str) -> tuple[str, ...]:
    """`formula` term by term as a mail shows it: the order's fields by name (the
    template words them), numbers as written, − and × for - and *."""
    return tuple(_PRINTED.get(term, term) for term in _TERM.findall(formula))
