
BlogitsJ(╨╖PACМ,┴F0┴куp┴є(F┴|Е┴КNT└	.┴@└Ц║└