
BlogitsJ(xëGÁJË.Áæ¿^Á8ŠÀ<jÁ0I¾fChÁÒ{ÁæÅÁq€@