// tbicode.ch: advmail's own include file. Nothing is needed by advmail.
