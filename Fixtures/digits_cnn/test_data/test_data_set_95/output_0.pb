
BlogitsJ(ùQ‡Á ©jÁ OýÀL¯äÀxŽÁÀBi5Áˆ§PÁg^Aî¾Á:T"Á