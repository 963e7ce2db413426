
BlogitsJ(¦Á¢gAä¦=@fDçÀA(ãÀzxÁÜjM¿û£cÁû³DÀÆU…Á