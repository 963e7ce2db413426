
BlogitsJ(+ъ5а╬┘ою┤г·а9T}а5gAt╞"арuа■#fю	JаYpа