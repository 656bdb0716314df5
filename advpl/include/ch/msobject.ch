// msobject.ch: advmail's own include file. Classes are parsed natively:
// nothing is defined.
