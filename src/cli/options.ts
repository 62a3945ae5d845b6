// Parsing and checking command-line values, with messages that say what was expected.
import { InvalidArgumentError } from 'commander';
import { parseAugment } from '../data/augment.js';

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${name} expects a positive integer, got '${value}'`);
    }
    return n;
  };
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n)) {
      throw new InvalidArgumentError(`${name} expects a non-negative integer, got '${value}'`);
    }
    return n;
  };
}

export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${name} expects a positive number, got '${value}'`);
    }
    return n;
  };
}

/** Any finite number (an SVM score threshold may be negative). */
export function finiteNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) {
      throw new InvalidArgumentError(`${name} expects a number, got '${value}'`);
    }
    return n;
  };
}

export function fraction(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) {
      throw new InvalidArgumentError(`${name} expects a number in [0, 1), got '${value}'`);
    }
    return n;
  };
}

/** A fraction strictly between 0 and 1 (a share to hold out: neither nothing nor everything). */
export function openFraction(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n >= 1) {
      throw new InvalidArgumentError(`${name} expects a number in (0, 1), got '${value}'`);
    }
    return n;
  };
}

/** An augmentation list (parseAugment's words), checked here and kept as written. */
export function augmentList(name: string) {
  return (value: string): string => {
    try {
      parseAugment(value);
    } catch (e) {
      throw new InvalidArgumentError(`${name} ${(e as Error).message}`);
    }
    return value;
  };
}

export function intList(name: string) {
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
      throw new InvalidArgumentError(`${name} expects comma-separated positive integers like 100,100, got '${value}'`);
    }
    return parts.map(Number);
  };
}
