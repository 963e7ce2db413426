
BlogitsJ(ÚÀäÀ6Î/AP­ÝÀS®ûÀ(J’À`jÁ¦šKÀB£JÁv#?É›SÁ