
BlogitsJ(péæ¾›ŽAL®¿bÇô¿GÞu>Pm6À¶ãÏ¿P{À„¬?¾©œ¿