
BlogitsJ(Sњ^AЮvyБbБЁ5}БZhБРЏЛАА‚rАJЭ6БVHАю!Б