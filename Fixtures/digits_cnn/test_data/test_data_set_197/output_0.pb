
BlogitsJ(£ôÀl¢{Áæ^mÁäê¸À½+ÁP´ö¿	Z‚Áõ{CÁ§ùòÀpOEA