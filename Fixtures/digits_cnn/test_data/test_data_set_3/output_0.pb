
BlogitsJ(ßñú¿h-5¡rfM¡¯n/¡≠ñ´øiÜ¡Œ†
AöV$¡∞®V>wög¡